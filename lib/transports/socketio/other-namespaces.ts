import type { Namespace, Server, Socket } from 'socket.io'
import type { Gateway } from '../../gateway'
import { useFirst } from '../../internals/socket-io'
import { connectError, endSessionAfterRefusal } from './connect-refusal'
import { handshakeToken } from './handshake-token'
import { markConnected } from './session-ledger'

type Middleware = Parameters<Namespace['use']>[0]

/**
 * Namespaces the plugin does not own (Socket.IO's default `/` when the realtime namespace is
 * another, those the app makes with `app.realtime.io.of()`, children of dynamic namespaces) share
 * the engine.io server, and `app.realtime.io.emit()` reaches them. None may admit an
 * unauthenticated client by accident: each gets the plugin's authentication as its first
 * middleware (refusals are `connect_error` with the same codes, and end the session as on the
 * realtime namespace), and its connections count against the per-session packet budget.
 * With `auth.required: false`, clients without a token pass, as on the realtime namespace.
 */
export function guardOtherNamespaces (io: Server, gateway: Gateway, realtimeNamespace: string): void {
  const authenticate: Middleware = (socket, next) => {
    gateway.authenticator.identify(handshakeToken(socket)).then(() => { next() }, (err: unknown) => {
      next(connectError(gateway, err))
      endSessionAfterRefusal(socket)
    })
  }
  const guard = (namespace: Namespace): void => {
    if (namespace.name === realtimeNamespace) return
    // First: a child of a dynamic namespace already has its parent's middlewares when Socket.IO
    // announces it, and none of the app's may see a client before it is authenticated.
    useFirst(namespace, authenticate)
    namespace.on('connection', onConnected)
  }
  // Socket.IO makes `/` with the server; every other namespace is announced as it is made.
  guard(io.of('/'))
  io.on('new_namespace', guard)
}

function onConnected (socket: Socket): void {
  markConnected(socket.conn)
}
