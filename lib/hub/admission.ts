import { CLOSE_CODES } from '../errors'
import type { Gateway } from '../gateway'
import type { WelcomePayload } from '../protocol/frames'
import { userRoom, type Room } from '../types'
import type { Connection } from './connection'
import { mayJoin, type Hub } from './hub'

/**
 * Brings a new connection into the hub: its `user:{id}` room, the rooms `autoJoin` names, then
 * registration, all at once after `autoJoin` settles so that nothing reaches the client before its
 * welcome. The bus subscribes to those rooms first (bounded by `clusterRequestTimeout`), so from its
 * welcome on the client receives emits from every node. A disconnect that selected the connection
 * since `disconnectsSeen` (the hub's mark, taken before its token was verified) ends it instead of
 * its welcome. Resolves to the welcome payload, or undefined when the client left or was
 * disconnected during setup, or whose token expired meanwhile (closed with 4401). Throws what
 * `autoJoin` throws.
 */
/** What admission uses of the gateway. */
interface AdmissionParts {
  readonly hub: Hub
  readonly log: Gateway['log']
  readonly options: Pick<Gateway['options'], 'autoJoin'>
}

export async function admit (connection: Connection, gateway: AdmissionParts, isOpen: () => boolean, disconnectsSeen: number): Promise<WelcomePayload | undefined> {
  const { hub } = gateway
  const rooms = connection.userId === null ? [] : [userRoom(connection.userId)]
  // The user's room first, so that a disconnect of the user from another node reaches this one
  // while `autoJoin` runs.
  const endUserReservation = hub.reserveRooms(rooms)
  try {
    const autoJoin = gateway.options.autoJoin
    const extraRooms: Room[] = autoJoin === undefined ? [] : await autoJoin(connection.user, connection)
    if (!Array.isArray(extraRooms)) throw new TypeError('autoJoin must return an array of room names')
    if (!isOpen()) return undefined
    const joined = extraRooms.filter((room) => {
      if (mayJoin(connection, room)) return true
      gateway.log.warn({ connectionId: connection.id }, 'fastify-realtime: autoJoin returned a room the connection may not join (an invalid or reserved name, or another user\'s room); skipped')
      return false
    })
    rooms.push(...joined)
    const endReservation = hub.reserveRooms(joined)
    try {
      await hub.subscribed(rooms)
      if (!isOpen()) return undefined
      const disconnected = hub.recentSelections.selectsSince(disconnectsSeen, connection.id, rooms)
      if (disconnected === true) {
        // Disconnected (a logout, say) while being authenticated or admitted: the close, not a welcome.
        connection.disconnect()
        return undefined
      }
      if (disconnected === 'unknown') {
        // So many disconnects came by that one for this connection may have been missed: the client
        // tries again, with a mark of its own, rather than being let in past a logout.
        connection.close(CLOSE_CODES.TRY_AGAIN_LATER, 'too many disconnects during setup')
        return undefined
      }
      if (connection.tokenExpired()) {
        // The token ran out during a slow autoJoin: no welcome, and nothing the client sent meanwhile is handled.
        connection.close(CLOSE_CODES.UNAUTHORIZED, 'token expired')
        return undefined
      }
      hub.register(connection)
      for (const room of rooms) hub.join(connection, room)
      // Joins and leaves of a selection this connection is in, made while it was being set up.
      hub.recentSelections.replayRoomChanges(disconnectsSeen, connection.id, () => [...connection.rooms], (change, changed) => hub.changeRoomsOf(connection, change, changed))
    } finally {
      endReservation()
    }
  } finally {
    endUserReservation()
  }
  return { connectionId: connection.id, user: connection.user, rooms: [...connection.rooms] }
}
