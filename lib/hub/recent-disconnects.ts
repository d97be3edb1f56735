import type { Selection } from '../bus/envelope'
import type { ConnectionId, Room } from '../types'
import type { RoomChange } from './broadcast-operator'

/** A recorded selection: a disconnect, or a join or leave of `rooms`. */
interface Recorded {
  selection: Selection
  change?: { kind: RoomChange, rooms: readonly Room[] }
}

/**
 * Enough for any admission to look back over: disconnects are rare (logouts, kicks). A connection
 * set up while more than this many come by is not disconnected for it: a flood of other users'
 * logouts must not end anyone else's session.
 */
const CAPACITY = 1024

/**
 * The latest disconnect and room-change selections this node applied, for connections that were
 * not registered yet: a client being authenticated or admitted (a slow `auth.trusted`, `autoJoin`,
 * the bus) when `disconnectUser` ran for its user — at logout, on any node — must end instead of
 * being welcomed, and one that `in(room).join()` selected must end up in the room. A connection
 * takes a `mark` before its token is verified and asks, just before registering, whether a
 * disconnect recorded since then selects it; once registered, it replays the joins and leaves.
 */
export class RecentDisconnects {
  private readonly entries: Recorded[] = []
  private recorded = 0

  get mark (): number {
    return this.recorded
  }

  record (selection: Selection): void {
    this.add({ selection })
  }

  recordRoomChange (selection: Selection, kind: RoomChange, rooms: readonly Room[]): void {
    this.add({ selection, change: { kind, rooms } })
  }

  private add (entry: Recorded): void {
    this.entries[this.recorded % CAPACITY] = entry
    this.recorded++
  }

  /** Whether a disconnect still kept, of those recorded since `mark`, selects a connection in these rooms. */
  selectsSince (mark: number, connectionId: ConnectionId, rooms: readonly Room[]): boolean {
    for (let i = Math.max(mark, this.recorded - CAPACITY); i < this.recorded; i++) {
      const entry = this.entries[i % CAPACITY]
      if (entry.change === undefined && selects(entry.selection, connectionId, rooms)) return true
    }
    return false
  }

  /**
   * Calls `apply` for each join or leave still kept, of those recorded since `mark`, that selects a
   * connection in the rooms `rooms()` names at that point, in the order they were recorded.
   */
  replayRoomChanges (mark: number, connectionId: ConnectionId, rooms: () => readonly Room[], apply: (kind: RoomChange, rooms: readonly Room[]) => void): void {
    for (let i = Math.max(mark, this.recorded - CAPACITY); i < this.recorded; i++) {
      const { selection, change } = this.entries[i % CAPACITY]
      if (change !== undefined && selects(selection, connectionId, rooms())) apply(change.kind, change.rooms)
    }
  }
}

function selects (selection: Selection, connectionId: ConnectionId, rooms: readonly Room[]): boolean {
  if (connectionId === selection.exceptConnectionId || selection.except.some((room) => rooms.includes(room))) return false
  return selection.rooms.length === 0 || selection.rooms.some((room) => rooms.includes(room))
}
