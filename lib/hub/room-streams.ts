import type { Bus } from '../bus/bus'
import type { EmitEnvelope } from '../bus/envelope'
import { keepsHistory, type ResolvedRecovery } from '../recovery/recovery-options'
import type { HistoryEntry, HistoryRead, StreamPosition, StreamStamp } from '../recovery/stream-position'
import type { Room } from '../types'
import { RoomStream, type StreamSink } from './room-stream'

/** History reads one node runs at once; resumes beyond it wait their turn (a reconnect storm). */
const MAX_CONCURRENT_READS = 16

/** What the node's streams deliver through. */
export interface StreamDelivery {
  deliver: (envelope: EmitEnvelope, stamp: StreamStamp) => void
  reset: (room: Room, position: StreamPosition) => void
}

/**
 * The streams of the rooms with history this node receives: one per room, opened when the node
 * subscribes to the room and closed when it unsubscribes. History reads go through here, bounded
 * in number and shared: every resume of a room at the same position during a reconnect storm uses
 * one read, of the last `maxReplay` entries.
 */
export class RoomStreams {
  readonly recovery: ResolvedRecovery
  private readonly bus: Bus
  private readonly streams = new Map<Room, RoomStream>()
  private readonly sink: StreamSink
  private readonly sharedReads = new Map<string, Promise<HistoryRead | undefined>>()
  private readsRunning = 0
  private readonly readQueue: Array<() => void> = []

  constructor (bus: Bus, recovery: ResolvedRecovery, delivery: StreamDelivery) {
    this.bus = bus
    this.recovery = recovery
    this.sink = {
      ...delivery,
      read: async (room, after, limit) => await this.read(room, after, limit),
      fence: (room, position) => { void this.read(room, 0, 0, position) }
    }
  }

  /** Whether a room keeps history (see keepsHistory). */
  keeps (room: Room): boolean {
    return keepsHistory(this.recovery, room, (name) => this.bus.canKeepHistory(name))
  }

  /** The node starts receiving a room; `subscribed` resolves once the room's messages reach it. */
  open (room: Room, subscribed: Promise<void>): void {
    if (!this.keeps(room) || this.streams.has(room)) return
    this.streams.set(room, new RoomStream(room, this.sink, this.recovery.maxReplay, subscribed))
  }

  close (room: Room): void {
    this.streams.get(room)?.close()
    this.streams.delete(room)
  }

  get (room: Room): RoomStream | undefined {
    return this.streams.get(room)
  }

  receive (envelope: EmitEnvelope, stamp: StreamStamp): void {
    this.streams.get(stamp.room)?.receive(envelope, stamp)
  }

  /** Resolves once these rooms' streams know their position. */
  async positioned (rooms: Iterable<Room>): Promise<void> {
    const waits: Array<Promise<void>> = []
    for (const room of rooms) {
      const stream = this.streams.get(room)
      if (stream !== undefined) waits.push(stream.positioned)
    }
    await Promise.all(waits)
  }

  /** After the bus may have missed messages: every stream reads what it missed. */
  catchUp (): void {
    for (const stream of this.streams.values()) stream.catchUp()
  }

  /**
   * The entries of a room after `after` up to `position`, complete, or undefined when the history
   * no longer has all of them (or cannot be read). Served by the room's stream when it still holds
   * them, otherwise by one read per room and position shared by every resume that needs it.
   */
  async entriesBetween (room: Room, after: number, position: StreamPosition): Promise<HistoryEntry[] | undefined> {
    const recent = this.streams.get(room)?.recentAfter(after)
    if (recent !== undefined) return recent.filter((entry) => entry.offset <= position.offset)
    const from = Math.max(0, position.offset - this.recovery.maxReplay)
    const key = `${position.epoch}:${position.offset}:${room}`
    let shared = this.sharedReads.get(key)
    if (shared === undefined) {
      shared = this.read(room, from, position.offset - from).finally(() => this.sharedReads.delete(key))
      this.sharedReads.set(key, shared)
    }
    const read = await shared
    if (read?.epoch !== position.epoch) return undefined
    this.streams.get(room)?.remember(read.entries, read.epoch)
    const entries = read.entries.filter((entry) => entry.offset > after && entry.offset <= position.offset)
    const complete = entries.length === position.offset - after && (entries.length === 0 || entries[0].offset === after + 1)
    return complete ? entries : undefined
  }

  /** A room's history, for app code (see readRoomHistory). */
  async history (room: Room, after: number, limit: number): Promise<HistoryRead | undefined> {
    return await this.read(room, after, limit)
  }

  /** Reads a room's epoch and top. */
  async top (room: Room): Promise<HistoryRead | undefined> {
    return await this.read(room, 0, 0)
  }

  private async read (room: Room, after: number, limit: number, fence?: StreamPosition): Promise<HistoryRead | undefined> {
    if (this.readsRunning >= MAX_CONCURRENT_READS) await new Promise<void>((resolve) => this.readQueue.push(resolve))
    this.readsRunning++
    try {
      return await this.bus.readHistory(room, after, limit, fence)
    } finally {
      this.readsRunning--
      this.readQueue.shift()?.()
    }
  }
}
