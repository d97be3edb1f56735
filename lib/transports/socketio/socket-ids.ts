import type { Namespace, Socket } from 'socket.io'
import { adjustCreatedSockets, setSocketId } from '../../internals/socket-io'
import { CONNECTION_ID_PREFIX } from '../../protocol/names'

/**
 * Makes every socket id of `namespace` a connection id (`$c:…`, see protocol/names): the realtime
 * connection's id is its socket's id, and a socket's own room is its id, so a connection id can never
 * be taken for a room name a client may join. The prefix is added before Socket.IO files the socket
 * anywhere (see internals/socket-io), so `namespace.sockets`, the adapter's `sids`, the CONNECT
 * answer (the client's `socket.id`) and `io.to(socket.id)` all carry the same id.
 */
export function prefixSocketIds (namespace: Namespace): void {
  adjustCreatedSockets(namespace, prefixId)
}

function prefixId (socket: Socket): void {
  // Restored sockets (connection state recovery) keep the id they had, already prefixed.
  if (socket.id.startsWith(CONNECTION_ID_PREFIX)) return
  // Joined, not concatenated: `+` would make a rope that keeps the unprefixed id alive with it, for
  // as long as the client stays connected.
  setSocketId(socket, [CONNECTION_ID_PREFIX, socket.id].join(''))
}
