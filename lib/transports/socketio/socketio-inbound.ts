import { RealtimeError } from '../../errors'
import { asRealtimeError } from '../../hub/request-error'
import { handlePresenceRequest } from '../../presence/socketio-presence-request'
import { isValidEventName } from '../../protocol/names'
import { sendAck } from '../send-ack'
import type { Ack, SocketIoConnection } from './socketio-connection'

const ACCEPTED = Object.freeze({ ok: true })

/** The plugin's own requests (see handleEvent). */
const PROTOCOL_EVENTS: ReadonlySet<string> = new Set(['join', 'leave', 'auth', 'presence'])

/**
 * Handles one event a Socket.IO client emitted: `join` and `leave` (answered `{ ok: true }` or a
 * refusal), `auth` (a fresh token, answered `{ ok: true, expiresAt }`), `presence` (a room's
 * members, for a member of it), or a client event for the
 * `realtime.on` handlers (the ack receives the handler's value). Those carry one data argument
 * (and an optional ack), as on the raw endpoint: more are refused with BAD_REQUEST rather than
 * silently dropped. Any other event is Socket.IO's, for listeners the app added itself.
 */
export function handleEvent (connection: SocketIoConnection, event: unknown, args: unknown[]): void {
  const ack = typeof args.at(-1) === 'function' ? args.pop() as Ack : undefined
  if (!connection.admitRequest(ack)) return
  if (!isValidEventName(event)) {
    connection.rejectBadRequest(ack, 'Event name must be a non-empty string of at most 100 characters without control characters')
    return
  }
  const ownsEvent = PROTOCOL_EVENTS.has(event) || connection.gateway.handlers.has(event)
  if (!ownsEvent) {
    // Left to Socket.IO: the app's own listeners (through `app.realtime.io`) take any arguments;
    // as in Socket.IO, an event nobody listens to is ignored, and one that asked for an ack learns why in it.
    if (ack !== undefined && !connection.hasAppListener(event)) connection.refuse(ack, new RealtimeError('NOT_FOUND', `No handler for event "${event}"`))
    return
  }
  if (args.length > 1) {
    connection.rejectBadRequest(ack, `An event carries one data argument (and an optional ack function), not ${args.length}; send several values in an object or array`)
    return
  }
  const data = args[0]
  switch (event) {
    case 'join':
      // Requests behind a join wait for it, so a client that joins and then emits sees its join applied.
      connection.enqueue(() => join(connection, data, ack), true, ack)
      return
    case 'leave':
      connection.enqueue(async () => leave(connection, data, ack), false, ack)
      return
    case 'auth':
      // Later requests wait, so they are handled under the refreshed identity.
      connection.enqueue(() => refreshToken(connection, data, ack), true, ack)
      return
    case 'presence':
      handlePresenceRequest(connection, data, ack)
      return
    default:
      connection.enqueue(() => dispatch(connection, event, data, ack), false, ack)
  }
}

async function join (connection: SocketIoConnection, room: unknown, ack: Ack | undefined): Promise<void> {
  try {
    await connection.gateway.rooms.requestJoin(connection, room)
  } catch (err) {
    refuse(connection, ack, err, 'canJoin failed')
    return
  }
  ack?.(ACCEPTED)
}

function leave (connection: SocketIoConnection, room: unknown, ack: Ack | undefined): void {
  try {
    connection.gateway.rooms.requestLeave(connection, room)
  } catch (err) {
    refuse(connection, ack, err, 'leave failed')
    return
  }
  ack?.(ACCEPTED)
}

async function refreshToken (connection: SocketIoConnection, token: unknown, ack: Ack | undefined): Promise<void> {
  if (typeof token !== 'string' || token === '') {
    connection.rejectBadRequest(ack, 'auth takes the new token as a non-empty string')
    return
  }
  let expiresAt: number | null
  try {
    const identity = await connection.gateway.authenticator.identify(token)
    connection.refreshIdentity(identity)
    expiresAt = identity.expiresAt
  } catch (err) {
    refuse(connection, ack, err, 'token refresh failed')
    return
  }
  ack?.({ ok: true, expiresAt })
}

async function dispatch (connection: SocketIoConnection, event: string, data: unknown, ack: Ack | undefined): Promise<void> {
  let result: unknown
  try {
    result = await connection.gateway.handlers.dispatch(connection, event, data)
  } catch (err) {
    refuse(connection, ack, err, 'event handler failed')
    return
  }
  if (ack === undefined) return
  sendAck(connection, () => { ack(result) }, (error) => { connection.refuse(ack, error) })
}

/** Answers a failed request; a BAD_REQUEST also counts towards the connection's bad-request limit. */
function refuse (connection: SocketIoConnection, ack: Ack | undefined, err: unknown, what: string): void {
  const error = asRealtimeError(connection.gateway, connection.id, err, what)
  if (error.code === 'BAD_REQUEST') connection.rejectBadRequest(ack, error.message)
  else connection.refuse(ack, error)
}
