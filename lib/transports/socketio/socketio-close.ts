import type { Socket } from 'socket.io'
import { CLOSE_CODES } from '../../errors'
import type { Gateway } from '../../gateway'
import type { Connection } from '../../hub/connection'
import { reportSlowConsumer } from '../../hub/slow-consumer'
import { terminateWebSocket } from '../../internals/engine-io'
import { endSessionWhenWritten } from './end-session'

/**
 * Ends a Socket.IO connection. A server shutdown drops the transport at once: socket.io-client sees
 * "transport close" and reconnects, as after any restart (a polling client could not be told
 * more: the server answers no further polls while it closes). Any other reason is first told to
 * the client (`disconnect_reason` with the close code the ws endpoint would use), then ends in a
 * server-side disconnect, which socket.io-client does not retry on its own: a client whose token
 * expired needs a new one first.
 */
export function closeSocket (socket: Socket, code: number, reason: string): void {
  if (!socket.connected) return
  if (code === CLOSE_CODES.SERVER_SHUTDOWN) {
    terminateSession(socket)
    return
  }
  socket.emit('disconnect_reason', { code, reason })
  socket.disconnect()
  endSessionWhenWritten(socket.conn)
}

/**
 * Discards what is still queued for the client and closes the transport now (a polling
 * transport sends its close packet if a poll is waiting, and never waits for the next one).
 */
export function terminateSession (socket: Socket): void {
  socket.conn.close(true)
}

/**
 * A client that does not read would not read a `disconnect_reason` either: its transport is
 * dropped at once, with what waits for it, and socket.io-client reconnects (as after 4408 on /ws).
 */
export function dropSlowConsumer (connection: Connection, socket: Socket, gateway: Gateway, backlog: number): void {
  reportSlowConsumer(gateway, connection.id, backlog)
  // Closing the WebSocket would keep the socket and its buffer for up to 30 s, waiting for a close
  // frame the client is not reading; destroying it lets both go now.
  terminateWebSocket(socket.conn)
  // Discards what waits in engine.io's buffer; Socket.IO then reports the disconnect at once, so
  // nothing more is delivered to the client (nor counted again).
  terminateSession(socket)
  gateway.hub.unregister(connection)
}
