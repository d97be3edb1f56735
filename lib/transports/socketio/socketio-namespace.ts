import type { ExtendedError, Namespace, Socket } from 'socket.io'
import { RealtimeError } from '../../errors'
import type { Gateway } from '../../gateway'
import { endSessionWhenWritten } from './end-session'
import type { EventPacketEncoder } from './event-packet'
import { handshakeToken } from './handshake-token'
import { connectionOf, SocketIoConnection } from './socketio-connection'
import { handleEvent } from './socketio-inbound'

/**
 * Makes a Socket.IO namespace a realtime endpoint: clients authenticate with the same code as on
 * the ws endpoint (failures reach them as `connect_error` with `err.data.code`), then join the
 * shared hub and get the same `welcome` payload.
 */
/**
 * The engine.io sessions with a connection to a realtime namespace, open or still authenticating.
 * Socket.IO refuses a second CONNECT on a session only once the first is through its middleware:
 * without this, one handshake (counted once by the per-IP throttle) could carry hundreds of
 * connections and token guesses.
 */
const sessionsInUse = new WeakSet<object>()

export function bindNamespace (namespace: Namespace, gateway: Gateway, encodePacket: EventPacketEncoder): void {
  namespace.use((socket, next) => {
    if (sessionsInUse.has(socket.conn)) {
      next(connectError(gateway, new RealtimeError('BAD_REQUEST', 'This session already has a connection to the namespace')))
      return
    }
    sessionsInUse.add(socket.conn)
    gateway.authenticator.identify(handshakeToken(socket.handshake)).then((identity) => {
      // The connection registers itself with the socket; the hub learns of it on connect.
      void new SocketIoConnection(socket, identity, gateway, encodePacket)
      next()
    }, (err: unknown) => {
      next(connectError(gateway, err))
      endSessionAfterRefusal(socket)
    })
  })
  namespace.on('connection', accept)
}

function accept (socket: Socket): void {
  const connection = connectionOf(socket)
  if (connection === undefined) {
    // Only a middleware the app added with `use` after ours could let a socket skip authentication.
    socket.disconnect(true)
    return
  }
  // Listeners shared by every socket (Socket.IO calls them with the socket as `this`): a closure
  // per socket and listener would cost memory for as long as the client stays connected.
  socket.on('disconnect', onDisconnect)
  socket.on('error', onSocketError)
  socket.onAny(onAnyEvent)
  connection.start()
}

function onDisconnect (this: Socket): void {
  sessionsInUse.delete(this.conn)
  connectionOf(this)?.onDisconnected()
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

function connectError (gateway: Gateway, err: unknown): ExtendedError {
  let refusal: RealtimeError
  if (err instanceof RealtimeError) {
    refusal = err
  } else {
    gateway.log.error({ err }, 'fastify-realtime: Socket.IO authentication failed unexpectedly')
    refusal = new RealtimeError('INTERNAL')
  }
  const error: ExtendedError = new Error(refusal.message)
  error.data = { code: refusal.code }
  return error
}

/**
 * After a refused authentication the whole engine.io session ends (once the `connect_error` is
 * flushed), so every further attempt is a new handshake that the per-IP throttle counts instead
 * of a free retry over the same session.
 */
function endSessionAfterRefusal (socket: Socket): void {
  // Socket.IO writes the CONNECT_ERROR packet on the next tick after `next(err)`.
  process.nextTick(() => endSessionWhenWritten(socket.conn))
}
