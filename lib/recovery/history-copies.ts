import type { EmitTarget } from '../bus/envelope'
import type { Room } from '../types'

/** How an emit travels when some of its rooms keep history. */
export interface HistoryCopies {
  /** One copy per room with history, each stored in that room's stream and delivered to its members. */
  readonly copies: ReadonlyArray<{ readonly room: Room, readonly target: EmitTarget }>
  /** The rooms without history, delivered as before; undefined when every room keeps history. */
  readonly rest: EmitTarget | undefined
}

/**
 * Splits an emit into one copy per room that keeps history, plus the rest. A client in several of
 * the rooms must get the emit once, live and on replay: a copy leaves out the members of the rooms
 * with history before its own (they get an earlier copy), and the rest leaves out the members of
 * every room with history. Every copy keeps the emit's own `except`, and the frames name a room
 * only when the emit named exactly one, as they would without history.
 */
export function historyCopies (target: EmitTarget, keepsHistory: (room: Room) => boolean): HistoryCopies {
  const omitRoom = target.omitRoom || target.rooms.length > 1
  const copies: Array<{ room: Room, target: EmitTarget }> = []
  const withHistory: Room[] = []
  const without: Room[] = []
  for (const room of new Set(target.rooms)) {
    if (!keepsHistory(room)) {
      without.push(room)
      continue
    }
    copies.push({ room, target: { ...target, rooms: [room], except: [...target.except, ...withHistory], omitRoom } })
    withHistory.push(room)
  }
  const rest = without.length === 0 ? undefined : { ...target, rooms: without, except: [...target.except, ...withHistory], omitRoom }
  return { copies, rest }
}
