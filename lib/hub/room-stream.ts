import type { EmitEnvelope } from '../bus/envelope'
import type { HistoryEntry, HistoryRead, StreamPosition, StreamStamp } from '../recovery/stream-position'
import type { Room } from '../types'

/** What a room's stream needs from the node. */
export interface StreamSink {
  /** Delivers one of the room's events to its local members; called in offset order, each offset once. */
  deliver: (envelope: EmitEnvelope, stamp: StreamStamp) => void
  /** Tells the room's local members that what came before `position` cannot all be delivered. */
  reset: (room: Room, position: StreamPosition) => void
  read: (room: Room, after: number, limit: number) => Promise<HistoryRead | undefined>
  /** Starts a new epoch for a room whose stream lost events this node had delivered (see Bus.readHistory). */
  fence: (room: Room, position: StreamPosition) => void
}

/** A resume waiting for the stream to deliver up to an offset another node has delivered already. */
interface Waiter {
  readonly offset: number
  readonly resolve: () => void
  timer: NodeJS.Timeout | undefined
}

/** Milliseconds a gap may wait for its missing events to arrive by themselves before the history is read. */
const REPAIR_DELAY_MS = 20
/** Entries one repair reads; a longer gap takes several reads. */
const REPAIR_READ_LIMIT = 1000
/** Reads one gap may take (a Redis that does not answer) before the room is reset past it. */
const MAX_REPAIR_ATTEMPTS = 5
/** Old epochs remembered, so a late message from one is not taken for a new epoch. */
const RETIRED_EPOCHS = 4

/**
 * One room's events on this node, delivered in offset order: a duplicate is dropped; a gap holds
 * the events after it while the missing ones are read from the room's history; a gap the history
 * cannot fill (trimmed, expired, Redis unreachable) resets the room for its local members, who are
 * told, and delivery goes on after it. A new epoch (the stream was lost) resets the room as well.
 *
 * The stream is positioned at the room's top when the node starts receiving the room: events that
 * arrive before that are held, and those at or below the top dropped.
 */
export class RoomStream {
  readonly room: Room
  private readonly sink: StreamSink
  private readonly keepRecent: number
  private epoch: string | undefined
  private last = 0
  /** False when the node could not read the room's top: the first event then positions the stream. */
  private topKnown = false
  private live = false
  private early: Array<[EmitEnvelope, StreamStamp]> = []
  private readonly held = new Map<number, EmitEnvelope>()
  private readonly retired: string[] = []
  private recent: HistoryEntry[] = []
  private repairTimer: NodeJS.Timeout | undefined
  private repairing = false
  private repairAttempts = 0
  private closed = false
  private readonly waiters: Waiter[] = []
  readonly positioned: Promise<void>

  constructor (room: Room, sink: StreamSink, keepRecent: number, subscribed: Promise<void>) {
    this.room = room
    this.sink = sink
    this.keepRecent = keepRecent
    this.positioned = subscribed.then(async () => await sink.read(room, 0, 0)).then((top) => this.begin(top))
  }

  /** Where the room's local members are: every event after it is delivered to them, or held to be. */
  position (): StreamPosition {
    return { offset: this.last, epoch: this.epoch ?? '' }
  }

  /** Whether the stream is past this place already (a duplicate it would drop). */
  hasDelivered (stamp: StreamPosition): boolean {
    return this.live && stamp.epoch === this.epoch && stamp.offset <= this.last
  }

  /** The events delivered here after `after`, when this node still has all of them up to its position. */
  recentAfter (after: number): HistoryEntry[] | undefined {
    if (after === this.last) return []
    const first = this.recent.length === 0 ? this.last + 1 : this.recent[0].offset
    if (after + 1 < first || after > this.last) return undefined
    return this.recent.slice(after + 1 - first)
  }

  /**
   * Keeps entries read from the history that end where the recent ones begin, so the next resumes
   * of the room (a reconnect storm) are served without reading again.
   */
  remember (entries: readonly HistoryEntry[], epoch: string): void {
    const last = entries.at(-1)
    const first = this.recent.length === 0 ? this.last + 1 : this.recent[0].offset
    if (last === undefined || epoch !== this.epoch || last.offset + 1 !== first) return
    this.recent = [...entries.slice(-this.keepRecent), ...this.recent].slice(-this.keepRecent)
  }

  receive (envelope: EmitEnvelope, stamp: StreamStamp): void {
    if (this.closed) return
    if (!this.live) {
      this.early.push([envelope, stamp])
      return
    }
    this.accept(envelope, stamp)
  }

  /** The node may have missed events (its subscriber reconnected): read what came after its position. */
  catchUp (): void {
    if (this.live) void this.repair()
  }

  /** Resolves once the stream has delivered up to `offset`, or after `timeoutMs`. */
  reached (offset: number, timeoutMs: number): Promise<void> {
    if (this.last >= offset || this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const waiter: Waiter = { offset, resolve, timer: undefined }
      waiter.timer = setTimeout(() => this.release(waiter), timeoutMs)
      this.waiters.push(waiter)
    })
  }

  close (): void {
    this.closed = true
    clearTimeout(this.repairTimer)
    this.held.clear()
    this.early = []
    for (const waiter of [...this.waiters]) this.release(waiter)
  }

  private begin (top: HistoryRead | undefined): void {
    if (this.closed) return
    this.epoch = top?.epoch
    this.last = top?.top ?? 0
    this.topKnown = top !== undefined
    this.live = true
    const early = this.early
    this.early = []
    for (const [envelope, stamp] of early) this.accept(envelope, stamp)
  }

  private accept (envelope: EmitEnvelope, stamp: StreamStamp): void {
    if (stamp.epoch !== this.epoch) {
      if (this.retired.includes(stamp.epoch)) return
      if (this.epoch === undefined) this.firstEpoch(stamp.epoch, stamp.offset - 1)
      else this.changeEpoch(stamp.epoch, stamp.offset - 1)
    }
    if (stamp.offset <= this.last || this.held.has(stamp.offset)) return
    if (stamp.offset === this.last + 1) {
      this.deliver(envelope, stamp.offset)
      this.drain()
      return
    }
    this.held.set(stamp.offset, envelope)
    this.scheduleRepair(REPAIR_DELAY_MS)
  }

  /**
   * The room had no stream when the node positioned itself (everything of the new one is after its
   * position), or its top could not be read (the members joined now: the first event positions it).
   */
  private firstEpoch (epoch: string, beforeFirstEvent: number): void {
    this.epoch = epoch
    if (!this.topKnown) this.last = beforeFirstEvent
    this.topKnown = true
  }

  /** The stream was lost and started again: whatever the node had not received of the old one is gone. */
  private changeEpoch (epoch: string, last: number): void {
    this.retired.push(this.epoch as string)
    if (this.retired.length > RETIRED_EPOCHS) this.retired.shift()
    this.epoch = epoch
    this.held.clear()
    this.recent = []
    this.last = last
    this.sink.reset(this.room, this.position())
  }

  private deliver (envelope: EmitEnvelope, offset: number): void {
    this.last = offset
    this.recent.push({ offset, envelope })
    // Trimmed in batches, so a long ring is not shifted on every event.
    if (this.recent.length > this.keepRecent + Math.ceil(this.keepRecent / 8)) this.recent.splice(0, this.recent.length - this.keepRecent)
    this.sink.deliver(envelope, { room: this.room, offset, epoch: this.epoch as string })
    if (this.waiters.length > 0) for (const waiter of [...this.waiters]) if (this.last >= waiter.offset) this.release(waiter)
  }

  private drain (): void {
    for (let next = this.held.get(this.last + 1); next !== undefined; next = this.held.get(this.last + 1)) {
      this.held.delete(this.last + 1)
      this.deliver(next, this.last + 1)
    }
    if (this.held.size === 0) this.repairAttempts = 0
  }

  private scheduleRepair (delay: number): void {
    if (this.repairTimer !== undefined || this.repairing || this.closed) return
    this.repairTimer = setTimeout(() => {
      this.repairTimer = undefined
      void this.repair()
    }, delay)
  }

  /** Reads what came after the position and delivers it; past what the history has, skips ahead and resets. */
  private async repair (): Promise<void> {
    if (this.repairing || this.closed) return
    this.repairing = true
    const epoch = this.epoch
    const read = await this.sink.read(this.room, this.last, REPAIR_READ_LIMIT)
    this.repairing = false
    if (this.closed) return
    if (this.epoch !== epoch) {
      // An event of a new epoch came in meanwhile and moved the stream on: this read is of the old one.
      if (this.held.size > 0) this.scheduleRepair(0)
      return
    }
    if (read === undefined) {
      if (this.held.size > 0 && ++this.repairAttempts >= MAX_REPAIR_ATTEMPTS) this.skipGap()
      else if (this.held.size > 0) this.scheduleRepair(REPAIR_DELAY_MS * 2 ** this.repairAttempts)
      return
    }
    if (read.epoch !== undefined && read.epoch !== this.epoch) {
      if (this.epoch === undefined) {
        this.firstEpoch(read.epoch, this.last)
      } else {
        // The stream was replaced: what is held belongs to the old one, and the new one is read from its start.
        if (this.held.size > 0) this.skipGap()
        this.changeEpoch(read.epoch, 0)
        this.scheduleRepair(0)
        return
      }
    }
    if (read.epoch === this.epoch && read.top < this.last) {
      // The stream lost events this node delivered (an asynchronous replica took over): a new epoch
      // makes every client that saw them reload, instead of silently missing what comes under their offsets.
      this.sink.fence(this.room, this.position())
      return
    }
    for (const entry of read.entries) {
      if (entry.offset <= this.last) continue
      // Trimmed or expired before the node read it: members are told, and what the history still has follows.
      if (entry.offset > this.last + 1) this.resetTo(entry.offset - 1)
      this.held.delete(entry.offset)
      this.deliver(entry.envelope, entry.offset)
    }
    this.drain()
    if (this.held.size === 0) return
    if (read.entries.length === REPAIR_READ_LIMIT) this.scheduleRepair(0)
    else this.skipGap()
  }

  /** The events before the first held one cannot be had: members are told, and delivery goes on from it. */
  private skipGap (): void {
    this.resetTo(Math.min(...this.held.keys()) - 1)
    this.drain()
  }

  private resetTo (last: number): void {
    this.last = last
    this.repairAttempts = 0
    this.sink.reset(this.room, this.position())
  }

  private release (waiter: Waiter): void {
    clearTimeout(waiter.timer)
    const index = this.waiters.indexOf(waiter)
    if (index !== -1) this.waiters.splice(index, 1)
    waiter.resolve()
  }
}
