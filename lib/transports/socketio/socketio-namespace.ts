import type { Namespace, Socket } from 'socket.io'
import { RealtimeError } from '../../errors'
import type { Gateway } from '../../gateway'
import { preConnectSockets } from '../../internals/socket-io'
import { connectError, endSessionAfterRefusal } from './connect-refusal'
import type { EventPacketEncoder } from './event-packet'
import { handshakeToken } from './handshake-token'
import { RecoveringConnection } from './recovering-connection'
import { connectionOf, SocketIoConnection } from './socketio-connection'
import { handleEvent } from './socketio-inbound'
import type { SocketIoRecovery } from './socketio-recovery'
import { markConnected } from './session-ledger'

/** A connection to a realtime namespace still going through the middlewares. */
interface Connecting {
  readonly socket: Socket
  /** The hub's disconnect mark when its token check began (see RecentSelections). */
  readonly disconnectsSeen: number
}

/**
 * For each engine.io session (Socket.IO's `client`), its connection that is still connecting.
 * Socket.IO ignores a CONNECT only once the session's first one has connected: without this, one
 * handshake (counted once by the per-IP throttle) could carry hundreds of connections and token
 * guesses while the first is being authenticated.
 */
const connecting = new WeakMap<object, Connecting>()

/**
 * Engine.io sessions that have carried a connection to the realtime namespace. One handshake
 * carries one connection, ever: a client that disconnected from the namespace (or was
 * disconnected) and CONNECTs again on the same session would start with a fresh message budget
 * after one throttled handshake. socket.io-client opens a new session when it connects again.
 */
const carried = new WeakSet<object>()

/**
 * Makes a Socket.IO namespace a realtime endpoint: clients authenticate with the same code as on
 * the ws endpoint (failures reach them as `connect_error` with `err.data.code`), then join the
 * shared hub and get the same `welcome` payload. With `recovery`, a client that comes back with
 * its `pid` and offset has its session restored once its token is verified again (see
 * SocketIoRecovery.restore): the CONNECT reply, sent when the middleware calls next(), then
 * carries the old pid, and socket.io-client reports `socket.recovered`.
 */
export function bindNamespace (namespace: Namespace, gateway: Gateway, encodePacket: EventPacketEncoder, recovery?: SocketIoRecovery): void {
  namespace.use((socket, next) => {
    if (carried.has(socket.client)) {
      next(connectError(gateway, new RealtimeError('BAD_REQUEST', 'This session has carried a connection already; open a new one')))
      endSessionAfterRefusal(socket)
      return
    }
    const earlier = connecting.get(socket.client)
    if (earlier !== undefined && isStillConnecting(namespace, earlier.socket)) {
      next(connectError(gateway, new RealtimeError('BAD_REQUEST', 'This session is already connecting to the namespace')))
      return
    }
    connecting.set(socket.client, { socket, disconnectsSeen: gateway.hub.recentSelections.mark })
    gateway.authenticator.identify(handshakeToken(socket)).then(async (identity) => {
      if (recovery === undefined) {
        // The connection registers itself with the socket; the hub learns of it on connect.
        void new SocketIoConnection(socket, identity, gateway, encodePacket)
      } else {
        // Before the connection is made: a restored socket takes its old id, the connection's id.
        // restore() never rejects: a session it cannot restore leaves the socket a fresh one.
        const restored = await recovery.restore(socket, identity)
        void new RecoveringConnection(socket, identity, gateway, recovery.encoder, recovery, restored)
      }
      next()
    }, (err: unknown) => {
      connecting.delete(socket.client)
      next(connectError(gateway, err))
      endSessionAfterRefusal(socket)
    })
  })
  namespace.on('connection', accept)
}

/**
 * Whether a socket is still in the middlewares: neither connected nor refused (by a middleware of
 * the app's after ours, which leaves no other trace). Read from Socket.IO's own pending sockets
 * (private, see internals/socket-io); should that ever go, a session stays refused rather
 * than open to the flood.
 */
function isStillConnecting (namespace: Namespace, socket: Socket): boolean {
  const pending = preConnectSockets(namespace)
  return pending?.get(socket.id) === socket || (pending === undefined && !socket.connected)
}

function accept (socket: Socket): void {
  // Connected: Socket.IO itself ignores further CONNECTs of this session to the namespace.
  const own = connecting.get(socket.client)
  if (own?.socket === socket) connecting.delete(socket.client)
  carried.add(socket.client)
  const connection = connectionOf(socket)
  if (connection === undefined) {
    // Only a middleware the app added with `use` after ours could let a socket skip authentication.
    socket.disconnect(true)
    return
  }
  // Its packets now count against the session's rate budget, not the budget before connecting.
  markConnected(socket.conn)
  // Listeners shared by every socket (Socket.IO calls them with the socket as `this`): a closure
  // per socket and listener would cost memory for as long as the client stays connected.
  socket.on('disconnect', onDisconnect)
  socket.on('error', onSocketError)
  socket.onAny(onAnyEvent)
  connection.start(own?.socket === socket ? own.disconnectsSeen : connection.gateway.hub.recentSelections.mark)
}

function onDisconnect (this: Socket, reason: string): void {
  connectionOf(this)?.onDisconnected(reason)
}

// Socket.IO emits `error` for a malformed packet or a rejected `socket.use` middleware; an `error`
// without a listener would throw.
function onSocketError (this: Socket, err: unknown): void {
  const connection = connectionOf(this)
  connection?.gateway.log.debug({ err, connectionId: connection.id }, 'fastify-realtime: Socket.IO socket error')
}

function onAnyEvent (this: Socket, event: unknown, ...args: unknown[]): void {
  const connection = connectionOf(this)
  if (connection !== undefined) handleEvent(connection, event, args)
}
