import type { Selection } from '../bus/envelope'
import type { ConnectionId, Room } from '../types'
import type { RoomChange } from './broadcast-operator'

/**
 * Enough for any admission to look back over: disconnects are rare (logouts, kicks). A connection
 * set up while more than this many come by cannot tell whether one was for it, and is refused with
 * 1013 (try again later) rather than let in past a logout it may have missed.
 */
const DISCONNECT_CAPACITY = 1024

/**
 * Joins and leaves (`in(room).join()`…) are more frequent and, in a cluster, every node's reach
 * every node. A connection set up while more come by is still let in, with the latest of them.
 */
const ROOM_CHANGE_CAPACITY = 4096

interface RoomChangeEntry {
  selection: Selection
  kind: RoomChange
  rooms: readonly Room[]
}

/** The latest `capacity` values, each numbered with the sequence number it was added under. */
class Ring<T> {
  private readonly capacity: number
  private readonly values: T[] = []
  private readonly sequences: number[] = []
  private added = 0
  /** The highest sequence number pushed out of the ring so far (-1: none). */
  private lostUpTo = -1

  constructor (capacity: number) {
    this.capacity = capacity
  }

  add (sequence: number, value: T): void {
    const slot = this.added % this.capacity
    if (this.added >= this.capacity) this.lostUpTo = this.sequences[slot]
    this.values[slot] = value
    this.sequences[slot] = sequence
    this.added++
  }

  /** Whether a value numbered `mark` or later has been pushed out. */
  lostSince (mark: number): boolean {
    return this.lostUpTo >= mark
  }

  /** The values still kept that were added under `mark` or later, oldest first. */
  * since (mark: number): Generator<T> {
    for (let i = Math.max(0, this.added - this.capacity); i < this.added; i++) {
      const slot = i % this.capacity
      if (this.sequences[slot] >= mark) yield this.values[slot]
    }
  }
}

/**
 * The latest disconnect and room-change selections this node applied, for connections that were
 * not registered yet: a client being authenticated or admitted (a slow `auth.trusted`, `autoJoin`,
 * the bus) when `disconnectUser` ran for its user — at logout, on any node — must end instead of
 * being welcomed, and one that `in(room).join()` selected must end up in the room. A connection
 * takes a `mark` before its token is verified and asks, just before registering, whether a
 * disconnect recorded since then selects it; once registered, it replays the joins and leaves.
 * Disconnects and room changes are kept apart, so no amount of room changes pushes a logout out.
 */
export class RecentSelections {
  private readonly disconnects = new Ring<Selection>(DISCONNECT_CAPACITY)
  private readonly roomChanges = new Ring<RoomChangeEntry>(ROOM_CHANGE_CAPACITY)
  /** One sequence for both, so one mark serves both. */
  private recorded = 0

  get mark (): number {
    return this.recorded
  }

  record (selection: Selection): void {
    this.disconnects.add(this.recorded++, selection)
  }

  recordRoomChange (selection: Selection, kind: RoomChange, rooms: readonly Room[]): void {
    this.roomChanges.add(this.recorded++, { selection, kind, rooms })
  }

  /**
   * Whether a disconnect recorded since `mark` selects a connection in these rooms: `true`, `false`,
   * or `unknown` when more disconnects came by than are kept and one of those may have.
   */
  selectsSince (mark: number, connectionId: ConnectionId, rooms: readonly Room[]): boolean | 'unknown' {
    for (const selection of this.disconnects.since(mark)) {
      if (selects(selection, connectionId, rooms)) return true
    }
    return this.disconnects.lostSince(mark) ? 'unknown' : false
  }

  /**
   * Calls `apply` for each join or leave still kept, of those recorded since `mark`, that selects a
   * connection in the rooms `rooms()` names at that point, in the order they were recorded.
   */
  replayRoomChanges (mark: number, connectionId: ConnectionId, rooms: () => readonly Room[], apply: (kind: RoomChange, rooms: readonly Room[]) => void): void {
    for (const { selection, kind, rooms: changed } of this.roomChanges.since(mark)) {
      if (selects(selection, connectionId, rooms())) apply(kind, changed)
    }
  }
}

function selects (selection: Selection, connectionId: ConnectionId, rooms: readonly Room[]): boolean {
  if (connectionId === selection.exceptConnectionId || selection.except.some((room) => rooms.includes(room))) return false
  return selection.rooms.length === 0 || selection.rooms.some((room) => rooms.includes(room))
}
