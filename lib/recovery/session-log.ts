/**
 * The session log of one Socket.IO connection with recovery: what maps the one offset
 * socket.io-client sends back (a token, see socketio-token) to a position in every room with history
 * of its session.
 *
 * It starts, at the connection's welcome, from the positions its events follow (`base`), and then
 * keeps the last SESSION_LOG_SIZE changes of those positions, in the order the connection saw them:
 * an event of a room with history delivered to it (the room's position becomes the event's), a
 * `recovery:reset` (the position it names), a join (the room's position when joined) and a leave.
 * Every entry carries `after`, the node's token sequence when it was made: a `<tag>.<seq>` token
 * names the moment its number was taken, and every entry made before it has `after < seq`.
 * An entry that falls out of the ring is folded into `base`. The positions at a token are `base`
 * with the entries up to the token applied; a token that fell out, or that the log never had,
 * maps to nothing (the session is not recovered, never replayed with a hole or twice).
 *
 * Memory: nothing until the welcome; then a few slots per room with history, and at most
 * SESSION_LOG_SIZE entries of two numbers and two shared strings (measured: about 350 B at the welcome,
 * 2.8 KB full).
 */
import type { Room } from '../types'
import type { StreamPosition } from './stream-position'
import type { ParsedToken } from './socketio-token'

/** Entries one connection's log keeps: how far its client may be behind what the node delivered to it, and still recover. */
export const SESSION_LOG_SIZE = 64

const DELIVERED = 0
const RESET = 1
const JOINED = 2
const LEFT = 3
type EntryKind = typeof DELIVERED | typeof RESET | typeof JOINED | typeof LEFT

/** A join made before its room's stream knew its position: the next event of the room settles it. */
const PENDING = -1
/** A position that cannot be known any more (a join whose room was reset or left before any event). */
const UNKNOWN = -2

/** A log as persisted with a session, and read back on whichever node the client comes back to. */
export interface SessionLogRecord {
  readonly tag: string
  /** The node's sequence when the log began: tokens up to it predate the log. */
  readonly start: number
  /** The `after` of the newest entry folded into `base`: seq tokens up to it cannot be placed. */
  readonly dropped: number
  /** The node's sequence when the record was made: no token the log could place is above it. */
  readonly issued: number
  /** [room, offset, epoch]; offset < 0: unknown. */
  readonly base: ReadonlyArray<readonly [Room, number, string]>
  /** [kind, after, room, offset, epoch], oldest first. */
  readonly entries: ReadonlyArray<readonly [EntryKind, number, Room, number, string]>
}

export class SessionLog {
  readonly tag: string
  private readonly start: number
  private dropped: number
  /** [room, offset, epoch, room, offset, epoch, …] */
  private readonly base: Array<string | number> = []
  /** Two per entry: after * 4 + kind, offset. A number-only array keeps them unboxed. */
  private readonly numbers: number[] = []
  /** Two per entry: room, epoch (shared with the events and the hub, never copied). */
  private readonly strings: string[] = []
  /** Where the oldest entry is once the ring is full. */
  private head = 0
  /** PENDING offsets in the ring and in `base`; settling them is only looked for while there are some. */
  private pendingJoins = 0

  constructor (tag: string, start: number, positions: Readonly<Record<Room, StreamPosition>>) {
    this.tag = tag
    this.start = start
    this.dropped = start
    for (const [room, position] of Object.entries(positions)) this.base.push(room, position.offset, position.epoch)
  }

  /** An event at `offset` of `room`'s stream went out to the client. */
  delivered (room: Room, offset: number, epoch: string, after: number): void {
    // A join still waiting for its position: its room's events follow from just before this one.
    if (this.pendingJoins > 0) this.settle(room, offset - 1, epoch)
    this.push(DELIVERED, after, room, offset, epoch)
  }

  /** A `recovery:reset` of `room` went out: its events follow from `position`. */
  reset (room: Room, position: StreamPosition, after: number): void {
    if (this.pendingJoins > 0) this.settle(room, UNKNOWN, '')
    this.push(RESET, after, room, position.offset, position.epoch)
  }

  /** The connection joined `room`; `position` undefined when its stream does not know it yet. */
  joined (room: Room, position: StreamPosition | undefined, after: number): void {
    if (position === undefined) this.pendingJoins++
    this.push(JOINED, after, room, position?.offset ?? PENDING, position?.epoch ?? '')
  }

  left (room: Room, after: number): void {
    if (this.pendingJoins > 0) this.settle(room, UNKNOWN, '')
    this.push(LEFT, after, room, 0, '')
  }

  /**
   * The log as it is persisted. Joins still pending take their room's current position when
   * `positionNow` knows it (nothing of the room was delivered since, so its events follow from
   * there), or stay unknown.
   */
  record (issued: number, positionNow: (room: Room) => StreamPosition | undefined): SessionLogRecord {
    const settled = (room: Room, offset: number, epoch: string): [number, string] => {
      if (offset !== PENDING) return [offset, epoch]
      const now = positionNow(room)
      return now === undefined ? [UNKNOWN, ''] : [now.offset, now.epoch]
    }
    const base: Array<[Room, number, string]> = []
    for (let i = 0; i < this.base.length; i += 3) {
      const room = this.base[i] as Room
      base.push([room, ...settled(room, this.base[i + 1] as number, this.base[i + 2] as string)])
    }
    const entries: Array<[EntryKind, number, Room, number, string]> = []
    this.forEach((slot) => {
      const room = this.strings[slot * 2]
      const afterKind = this.numbers[slot * 2]
      entries.push([afterKind % 4 as EntryKind, Math.floor(afterKind / 4), room, ...settled(room, this.numbers[slot * 2 + 1], this.strings[slot * 2 + 1])])
    })
    return { tag: this.tag, start: this.start, dropped: this.dropped, issued, base, entries }
  }

  private get count (): number {
    return this.numbers.length / 2
  }

  private forEach (visit: (slot: number) => void): void {
    const count = this.count
    for (let k = 0; k < count; k++) visit((this.head + k) % count)
  }

  private push (kind: EntryKind, after: number, room: Room, offset: number, epoch: string): void {
    const afterKind = after * 4 + kind
    if (this.count < SESSION_LOG_SIZE) {
      this.numbers.push(afterKind, offset)
      this.strings.push(room, epoch)
      return
    }
    const slot = this.head
    this.fold(slot)
    this.numbers[slot * 2] = afterKind
    this.numbers[slot * 2 + 1] = offset
    this.strings[slot * 2] = room
    this.strings[slot * 2 + 1] = epoch
    this.head = (slot + 1) % SESSION_LOG_SIZE
  }

  /** The oldest entry leaves the ring: its change becomes part of `base`. */
  private fold (slot: number): void {
    const afterKind = this.numbers[slot * 2]
    this.dropped = Math.floor(afterKind / 4)
    const room = this.strings[slot * 2]
    const index = this.baseIndex(room)
    if (index !== -1 && this.base[index + 1] === PENDING) this.pendingJoins--
    if (afterKind % 4 === LEFT) {
      if (index !== -1) this.base.splice(index, 3)
      return
    }
    const offset = this.numbers[slot * 2 + 1]
    const epoch = this.strings[slot * 2 + 1]
    // A PENDING offset of the entry moves from the ring to `base`, and stays counted once.
    if (index === -1) {
      this.base.push(room, offset, epoch)
    } else {
      this.base[index + 1] = offset
      this.base[index + 2] = epoch
    }
  }

  private baseIndex (room: Room): number {
    for (let i = 0; i < this.base.length; i += 3) if (this.base[i] === room) return i
    return -1
  }

  /** Gives `room`'s pending joins their position. */
  private settle (room: Room, offset: number, epoch: string): void {
    const index = this.baseIndex(room)
    if (index !== -1 && this.base[index + 1] === PENDING) {
      this.base[index + 1] = offset
      this.base[index + 2] = epoch
      this.pendingJoins--
    }
    this.forEach((slot) => {
      if (this.strings[slot * 2] !== room || this.numbers[slot * 2 + 1] !== PENDING) return
      this.numbers[slot * 2 + 1] = offset
      this.strings[slot * 2 + 1] = epoch
      this.pendingJoins--
    })
  }
}

/**
 * The position of each of `rooms` (the session's rooms with history) at the moment `token` names,
 * or undefined when the log cannot tell all of them exactly: a token of another node or another
 * log, one that fell out of the ring or names an event the log never had, a room joined or left
 * again after the token (events in between would be replayed to a client that was not in it, or
 * missing), a position never known.
 */
export function positionsAt (log: SessionLogRecord, token: ParsedToken, rooms: Iterable<Room>): Map<Room, StreamPosition> | undefined {
  if (token.tag !== log.tag) return undefined
  const cut = cutAt(log, token)
  if (cut === undefined) return undefined
  const atCut = new Map<Room, readonly [number, string]>()
  for (const [room, offset, epoch] of log.base) atCut.set(room, [offset, epoch])
  for (let i = 0; i < cut; i++) {
    const [kind, , room, offset, epoch] = log.entries[i]
    if (kind === LEFT) atCut.delete(room)
    else atCut.set(room, [offset, epoch])
  }
  const positions = new Map<Room, StreamPosition>()
  for (const room of rooms) {
    const changes = log.entries.slice(cut).filter(([kind, , entryRoom]) => entryRoom === room && (kind === JOINED || kind === LEFT))
    let position = atCut.get(room)
    if (position === undefined) {
      // Joined after the token: its events follow from where it was joined.
      if (changes.length !== 1 || changes[0][0] !== JOINED) return undefined
      position = [changes[0][3], changes[0][4]]
    } else if (changes.length > 0) {
      return undefined
    }
    if (position[0] < 0) return undefined
    positions.set(room, { offset: position[0], epoch: position[1] })
  }
  return positions
}

/** How many entries of the log the client saw, by its token. */
function cutAt (log: SessionLogRecord, token: ParsedToken): number | undefined {
  if (token.kind === 'seq') {
    if (token.seq <= log.start || token.seq <= log.dropped || token.seq > log.issued) return undefined
    let cut = 0
    while (cut < log.entries.length && log.entries[cut][1] < token.seq) cut++
    return cut
  }
  let found: number | undefined
  for (let i = 0; i < log.entries.length; i++) {
    const [kind, , , offset, epoch] = log.entries[i]
    if (kind !== DELIVERED || offset !== token.offset || epoch !== token.epoch) continue
    // Two rooms whose streams drew the same epoch: the token could name either.
    if (found !== undefined) return undefined
    found = i
  }
  return found === undefined ? undefined : found + 1
}

/** Reads a persisted log back; undefined for anything malformed. */
export function parseLogRecord (value: unknown): SessionLogRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { tag, start, dropped, issued, base, entries } = value as Record<string, unknown>
  if (typeof tag !== 'string' || !isCount(start) || !isCount(dropped) || !isCount(issued)) return undefined
  if (!Array.isArray(base) || !Array.isArray(entries) || entries.length > SESSION_LOG_SIZE) return undefined
  if (!base.every((item) => Array.isArray(item) && item.length === 3 && isPosition(item[0], item[1], item[2]))) return undefined
  const isEntry = (item: unknown): boolean => Array.isArray(item) && item.length === 5 &&
    [DELIVERED, RESET, JOINED, LEFT].includes(item[0] as number) && isCount(item[1]) && isPosition(item[2], item[3], item[4])
  if (!entries.every(isEntry)) return undefined
  return value as SessionLogRecord
}

function isCount (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function isPosition (room: unknown, offset: unknown, epoch: unknown): boolean {
  return typeof room === 'string' && typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= UNKNOWN && typeof epoch === 'string'
}
