import type { Room } from '../types'
import type { Connection } from './connection'

/** A room's local members; a room of one (every `user:` room, mostly) holds its connection without a Set. */
type Members = Connection | Set<Connection>

const NONE: readonly Connection[] = []

/** Which local connections are in which room: the hub's registry, and the walks fan-out makes over it. */
export class RoomMembers {
  private readonly rooms = new Map<Room, Members>()

  has (room: Room): boolean {
    return this.rooms.has(room)
  }

  /** Adds a member; true when it is the room's first. */
  add (room: Room, connection: Connection): boolean {
    const members = this.rooms.get(room)
    if (members === undefined) {
      this.rooms.set(room, connection)
      return true
    }
    if (members instanceof Set) members.add(connection)
    else if (members !== connection) this.rooms.set(room, new Set([members, connection]))
    return false
  }

  /** Removes a member; true when it was the room's last. */
  remove (room: Room, connection: Connection): boolean {
    const members = this.rooms.get(room)
    if (members instanceof Set) {
      members.delete(connection)
      // Back to a room of one, so the memory saved stays saved after members come and go.
      if (members.size === 1) this.rooms.set(room, members.values().next().value as Connection)
      return false
    }
    if (members !== connection) return false
    this.rooms.delete(room)
    return true
  }

  /** The members of one room, without copying them. */
  of (room: Room): Iterable<Connection> {
    const members = this.rooms.get(room)
    if (members === undefined) return NONE
    return members instanceof Set ? members : [members]
  }

  /** The members of any of these rooms, each once. */
  union (rooms: readonly Room[]): Set<Connection> {
    const union = new Set<Connection>()
    for (const room of rooms) {
      for (const connection of this.of(room)) union.add(connection)
    }
    return union
  }

  size (room: Room): number {
    const members = this.rooms.get(room)
    if (members === undefined) return 0
    return members instanceof Set ? members.size : 1
  }
}
