import type { Selection } from '../bus/envelope'
import type { ConnectionId, Room } from '../types'

/**
 * Enough for any admission to look back over: disconnects are rare (logouts, kicks). A connection
 * set up while more than this many come by is not disconnected for it: a flood of other users'
 * logouts must not end anyone else's session.
 */
const CAPACITY = 1024

/**
 * The latest disconnect selections this node applied, for connections that were not registered
 * yet: a client being authenticated or admitted (a slow `auth.trusted`, `autoJoin`, the bus) when
 * `disconnectUser` ran for its user — at logout, on any node — must end instead of being welcomed.
 * A connection takes a `mark` before its token is verified and asks, just before registering,
 * whether a disconnect recorded since then selects it.
 */
export class RecentDisconnects {
  private readonly selections: Selection[] = []
  private recorded = 0

  get mark (): number {
    return this.recorded
  }

  record (selection: Selection): void {
    this.selections[this.recorded % CAPACITY] = selection
    this.recorded++
  }

  /** Whether a disconnect still kept, of those recorded since `mark`, selects a connection in these rooms. */
  selectsSince (mark: number, connectionId: ConnectionId, rooms: readonly Room[]): boolean {
    for (let i = Math.max(mark, this.recorded - CAPACITY); i < this.recorded; i++) {
      if (selects(this.selections[i % CAPACITY], connectionId, rooms)) return true
    }
    return false
  }
}

function selects (selection: Selection, connectionId: ConnectionId, rooms: readonly Room[]): boolean {
  if (connectionId === selection.exceptConnectionId || selection.except.some((room) => rooms.includes(room))) return false
  return selection.rooms.length === 0 || selection.rooms.some((room) => rooms.includes(room))
}
