import { RealtimeError } from '../errors'
import type { Connection } from '../hub/connection'
import type { Gateway } from '../gateway'
import type { PresenceSnapshot } from '../protocol/presence'

/** A connection that can ask for presence, on either transport. */
interface AskingConnection extends Connection {
  readonly gateway: Pick<Gateway, 'presence'>
}

/**
 * A client's presence request, the same on both transports: the room's snapshot for a member,
 * FORBIDDEN for anyone else, NOT_FOUND while the server has presence off (as for an event
 * without a handler: the request names something the server does not offer).
 */
export async function requestPresence (connection: AskingConnection, room: unknown): Promise<PresenceSnapshot> {
  const presence = connection.gateway.presence
  if (presence === undefined) throw new RealtimeError('NOT_FOUND', 'Presence is off on this server')
  return await presence.requestedBy(connection, room)
}
