import type { Gateway } from '../gateway'
import { isValidRoomName } from '../protocol/names'
import type { WelcomePayload } from '../protocol/frames'
import { userRoom, type Room } from '../types'
import type { Connection } from './connection'

/**
 * Brings a new connection into the hub: its `user:{id}` room, the rooms `autoJoin` names, then
 * registration, all at once after `autoJoin` settles so that nothing reaches the client before its
 * welcome. The bus subscribes to those rooms first (bounded by `clusterRequestTimeout`), so from its
 * welcome on the client receives emits from every node. A disconnect that selected the connection
 * since `disconnectsSeen` (the hub's mark, taken before its token was verified) ends it instead of
 * its welcome. Resolves to the welcome payload, or undefined when the client left or was
 * disconnected during setup. Throws what `autoJoin` throws.
 */
export async function admit (connection: Connection, gateway: Gateway, isOpen: () => boolean, disconnectsSeen: number): Promise<WelcomePayload | undefined> {
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
      if (isValidRoomName(room)) return true
      gateway.log.warn({ connectionId: connection.id }, 'fastify-realtime: autoJoin returned an invalid room name; skipped')
      return false
    })
    rooms.push(...joined)
    const endReservation = hub.reserveRooms(joined)
    try {
      await hub.subscribed(rooms)
      if (!isOpen()) return undefined
      if (hub.recentDisconnects.selectsSince(disconnectsSeen, connection.id, rooms)) {
        // Disconnected (a logout, say) while being authenticated or admitted: the close, not a welcome.
        connection.disconnect()
        return undefined
      }
      hub.register(connection)
      for (const room of rooms) hub.join(connection, room)
    } finally {
      endReservation()
    }
  } finally {
    endUserReservation()
  }
  return { connectionId: connection.id, user: connection.user, rooms: [...connection.rooms] }
}
