import type { Gateway } from '../gateway'
import { isValidRoomName } from '../protocol/names'
import type { WelcomePayload } from '../protocol/frames'
import { userRoom, type Room } from '../types'
import type { Connection } from './connection'

/**
 * Brings a new connection into the hub: its `user:{id}` room, the rooms `autoJoin` names, then
 * registration, all at once after `autoJoin` settles so that nothing reaches the client before its
 * welcome. The bus subscribes to those rooms first (bounded by `clusterRequestTimeout`), so from its
 * welcome on the client receives emits from every node. A disconnect that selects the connection
 * meanwhile (PendingAdmissions) ends it instead of its welcome. Resolves to the welcome payload, or
 * undefined when the client left or was disconnected during setup. Throws what `autoJoin` throws.
 */
export async function admit (connection: Connection, gateway: Gateway, isOpen: () => boolean): Promise<WelcomePayload | undefined> {
  const { hub } = gateway
  const rooms = connection.userId === null ? [] : [userRoom(connection.userId)]
  const admission = hub.admissions.begin(connection, rooms)
  try {
    const autoJoin = gateway.options.autoJoin
    const extraRooms: Room[] = autoJoin === undefined ? [] : await autoJoin(connection.user, connection)
    if (!Array.isArray(extraRooms)) throw new TypeError('autoJoin must return an array of room names')
    if (!isOpen()) return undefined
    for (const room of extraRooms) {
      if (isValidRoomName(room)) rooms.push(room)
      else gateway.log.warn({ connectionId: connection.id }, 'fastify-realtime: autoJoin returned an invalid room name; skipped')
    }
    const endReservation = hub.reserveRooms(rooms)
    try {
      await hub.subscribed(rooms)
      if (!isOpen()) return undefined
      if (admission.disconnected) {
        // Disconnected (a logout, say) while being admitted: no welcome, the close it would have got.
        connection.disconnect()
        return undefined
      }
      hub.register(connection)
      for (const room of rooms) hub.join(connection, room)
    } finally {
      endReservation()
    }
  } finally {
    hub.admissions.end(admission)
  }
  return { connectionId: connection.id, user: connection.user, rooms: [...connection.rooms] }
}
