import type { Namespace, Socket } from 'socket.io'
import { CONNECTION_ID_PREFIX } from '../../protocol/names'

/**
 * The one internal of Socket.IO this touches: `Namespace#_createSocket(client, auth)`, which makes
 * (or, with connection state recovery, restores) a socket before `_add` registers it under its id.
 * Checked against socket.io 4.8.x (package.json pins the range); test/socketio-hardening-ids.test.ts
 * fails should the method disappear or the id be used before it resolves.
 */
interface NamespaceInternals {
  _createSocket: (client: unknown, auth: unknown) => Promise<Socket>
}

/**
 * Makes every socket id of `namespace` a connection id (`$c:…`, see protocol/names): the realtime
 * connection's id is its socket's id, and a socket's own room is its id, so a connection id can never
 * be taken for a room name a client may join. The prefix is added before Socket.IO files the socket
 * anywhere, so `namespace.sockets`, the adapter's `sids`, the CONNECT answer (the client's
 * `socket.id`) and `io.to(socket.id)` all carry the same id.
 */
export function prefixSocketIds (namespace: Namespace): void {
  const internals = namespace as unknown as Partial<NamespaceInternals>
  const createSocket = internals._createSocket
  if (typeof createSocket !== 'function') {
    // Failing at register time beats connection ids that clients could name as rooms.
    throw new Error('fastify-realtime: this Socket.IO version has no Namespace#_createSocket; socket ids cannot be made connection ids')
  }
  internals._createSocket = async function createPrefixedSocket (this: Namespace, client: unknown, auth: unknown): Promise<Socket> {
    const socket = await createSocket.call(this, client, auth)
    if (!socket.id.startsWith(CONNECTION_ID_PREFIX)) {
      // `id` is a plain field Socket.IO assigns in the constructor; its type is readonly. Joined,
      // not concatenated: `+` would make a rope that keeps the unprefixed id alive with it, for as
      // long as the client stays connected.
      (socket as { id: string }).id = [CONNECTION_ID_PREFIX, socket.id].join('')
    }
    return socket
  }
}
