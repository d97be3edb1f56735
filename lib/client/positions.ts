import type { Room } from '../types'

/** A place in one room's stream of events: the offset of the last event, in one epoch (one life of the stream). */
export interface StreamPosition {
  offset: number
  epoch: string
}

/** Where an event sits: the history room it belongs to, which is also set for `toUser` and several-room emits. */
export interface EventPosition extends StreamPosition {
  room: Room
}

/**
 * The last position the client knows in each history room's stream. It is what lets the client
 * drop an event it already delivered (a replay overlapping what arrived live) and what it asks the
 * server to resume from after a reconnect. The map's order is recency, the room updated last
 * coming last: when not every room fits in one resume request, the most active ones go first.
 */
export class RoomPositions {
  private readonly byRoom = new Map<Room, StreamPosition>()

  get (room: Room): StreamPosition | undefined {
    return this.byRoom.get(room)
  }

  /**
   * An event arrived at `position`: false when it was delivered already (same epoch, offset not
   * past the known one). An event of another epoch is new: the stream started over.
   */
  advance (position: EventPosition): boolean {
    const known = this.byRoom.get(position.room)
    if (known !== undefined && known.epoch === position.epoch && position.offset <= known.offset) return false
    this.set(position.room, { offset: position.offset, epoch: position.epoch })
    return true
  }

  /**
   * A join ack's position. A room whose stream the client already follows in that epoch keeps its
   * own position: while connected, the events up to it arrived in order, and an ack computed from a
   * stream top read before those events reached this node must not make the client skip them.
   */
  joined (room: Room, position: StreamPosition): void {
    if (this.byRoom.get(room)?.epoch !== position.epoch) this.set(room, position)
  }

  /** A position the server states outright (a welcome, a reset notice): it replaces the known one. */
  set (room: Room, position: StreamPosition): void {
    this.byRoom.delete(room)
    this.byRoom.set(room, position)
  }

  /** A new connection: its welcome lists the position of every history room it is in, and only those count. */
  replaceAll (positions: Readonly<Record<Room, StreamPosition>>): void {
    this.byRoom.clear()
    for (const [room, position] of Object.entries(positions)) this.byRoom.set(room, { offset: position.offset, epoch: position.epoch })
  }

  forget (room: Room): void {
    this.byRoom.delete(room)
  }

  forgetAll (): void {
    this.byRoom.clear()
  }

  /** Every known position, the room updated most recently first. */
  recentFirst (): Array<[Room, StreamPosition]> {
    return [...this.byRoom].reverse()
  }
}
