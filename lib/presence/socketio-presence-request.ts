import { asRealtimeError } from '../hub/request-error'
import type { PresenceSnapshot } from '../protocol/presence'
import type { Ack, SocketIoConnection } from '../transports/socketio/socketio-connection'
import { sendAck } from '../transports/send-ack'
import { requestPresence } from './presence-request'

/**
 * `socket.emit('presence', room, ack)` from a Socket.IO client: queued behind the client's earlier
 * requests (a `join` just before it is applied first), and answered `{ ok: true, room, users,
 * connections, members }` or with a refusal as every other request is (`FORBIDDEN` for a
 * non-member). It changes nothing, so the requests after it do not wait for it.
 */
export function handlePresenceRequest (connection: SocketIoConnection, room: unknown, ack: Ack | undefined): void {
  connection.enqueue(() => answer(connection, room, ack), false, ack)
}

async function answer (connection: SocketIoConnection, room: unknown, ack: Ack | undefined): Promise<void> {
  let snapshot: PresenceSnapshot
  try {
    snapshot = await requestPresence(connection, room)
  } catch (err) {
    const error = asRealtimeError(connection.gateway, connection.id, err, 'a presence request failed')
    if (error.code === 'BAD_REQUEST') connection.rejectBadRequest(ack, error.message)
    else connection.refuse(ack, error)
    return
  }
  if (ack === undefined) return
  const answer = { ok: true, ...snapshot }
  sendAck(connection, () => { ack(answer) }, (error) => { connection.refuse(ack, error) })
}
