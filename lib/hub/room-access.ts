import { RealtimeError } from '../errors'
import { isJoinableRoom, isValidRoomName, ROOM_NAME_RULE } from '../protocol/names'
import type { StreamPosition } from '../recovery/stream-position'
import { USER_ROOM_PREFIX, type Room } from '../types'
import type { Connection } from './connection'
import type { Hub } from './hub'
import type { ResolvedOptions } from '../options'

/**
 * The rules for rooms a client asks to join or leave (server-side joins skip them). Both transports
 * use it, so a Socket.IO client and a WebSocket client get the same answers.
 *
 * Refusals are FORBIDDEN whether or not the room exists, so a refusal leaks nothing about it.
 */
export class RoomAccess {
  private readonly hub: Hub
  private readonly options: Pick<ResolvedOptions, 'canJoin' | 'maxRoomsPerConnection'>

  constructor (hub: Hub, options: Pick<ResolvedOptions, 'canJoin' | 'maxRoomsPerConnection'>) {
    this.hub = hub
    this.options = options
  }

  /**
   * Resolves once emits from every node reach the connection in the room; with the room's position
   * when it keeps history (events after it follow).
   */
  async requestJoin (connection: Connection, room: unknown): Promise<StreamPosition | undefined> {
    if (!isValidRoomName(room)) throw new RealtimeError('BAD_REQUEST', `Room must be ${ROOM_NAME_RULE}`)
    if (connection.rooms.has(room)) return await this.positionOf(room)
    // Another user's personal room, and the plugin's own names (another client's connection id),
    // are never joinable, whatever canJoin says.
    if (room.startsWith(USER_ROOM_PREFIX) || !isJoinableRoom(room)) throw new RealtimeError('FORBIDDEN', 'Not allowed to join this room')
    this.checkRoomLimit(connection)
    if (await this.options.canJoin(connection.user, room, connection) !== true) {
      throw new RealtimeError('FORBIDDEN', 'Not allowed to join this room')
    }
    // canJoin may have been slow: the client may have gone, or filled its rooms meanwhile.
    if (!this.hub.isRegistered(connection)) return undefined
    this.checkRoomLimit(connection)
    this.hub.join(connection, room)
    // Acknowledged once emits from every node reach the client, not merely this node's.
    await this.hub.subscribed([room])
    return await this.positionOf(room)
  }

  /** Everything delivered to a member before this resolves is at or before the position; everything after it follows. */
  private async positionOf (room: Room): Promise<StreamPosition | undefined> {
    await this.hub.positioned([room])
    return this.hub.positionsOf([room])[room]
  }

  requestLeave (connection: Connection, room: unknown): void {
    if (!isValidRoomName(room)) throw new RealtimeError('BAD_REQUEST', `Room must be ${ROOM_NAME_RULE}`)
    if (room.startsWith(USER_ROOM_PREFIX) && connection.rooms.has(room)) {
      throw new RealtimeError('FORBIDDEN', 'A client cannot leave its own user room')
    }
    this.hub.leave(connection, room)
  }

  private checkRoomLimit (connection: Connection): void {
    if (connection.rooms.size >= this.options.maxRoomsPerConnection) {
      throw new RealtimeError('TOO_MANY_ROOMS', `A connection may be in at most ${this.options.maxRoomsPerConnection} rooms`)
    }
  }
}
