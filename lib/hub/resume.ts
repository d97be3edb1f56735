import type { EmitEnvelope } from '../bus/envelope'
import type { HistoryEntry, StreamPosition } from '../recovery/stream-position'
import type { Room } from '../types'
import type { Connection } from './connection'
import { OutboundEvent } from './outbound-event'
import type { RoomStreams } from './room-streams'

/** How one room of a resume went. */
export interface RoomResume {
  /** True when every event after the client's position follows; false when the client must reload the room. */
  readonly recovered: boolean
  /** Where the room's events for the client follow from: its own position when recovered, the room's current one otherwise. */
  readonly position: StreamPosition
}

/** What resumes came to on this node, for `app.realtime.stats()`. */
export interface RecoveryCounters {
  /** Rooms resumed with every missed event. */
  roomsRecovered: number
  /** Rooms a client came back to that could not be (it reloads them). */
  roomsNotRecovered: number
  /** `recovery:reset` notices: holes the node could not fill while members stayed connected. */
  streamResets: number
}

/** A resume made ready before the connection joins its rooms; completed the moment it joins them. */
export interface PreparedResume {
  /**
   * Called synchronously where the connection has just joined its rooms (nothing has been delivered
   * to it yet): says per room how the resume went, and returns the replay, which delivers the missed
   * events and is called right after the client's welcome, in the same turn.
   */
  complete: (connection: Connection) => { rooms: Map<Room, RoomResume>, replay: () => void }
}

/** One room, read ahead: the events after the client's position up to `upTo`, or undefined when it cannot recover. */
interface RoomReadAhead {
  readonly from: StreamPosition
  readonly entries: readonly HistoryEntry[] | undefined
  readonly upTo: number
}

/**
 * Resumes of clients that come back with positions in their rooms' streams. The missed events are
 * read before the connection joins its rooms (from the room's stream when this node still holds
 * them, otherwise one shared read per room); when it joins, the few events that came meanwhile are
 * taken from the room's stream, so the replay reaches exactly up to where live delivery to the
 * connection begins: every event once, in order. A room whose history no longer has everything the
 * client missed (away too long, past `maxReplay`, another epoch) is not replayed at all: never a
 * partial replay with a hole.
 */
export class Resumes {
  private readonly streams: RoomStreams
  private readonly selects: (connection: Connection, envelope: EmitEnvelope) => boolean
  private readonly waitMs: number
  private readonly counters: RecoveryCounters
  /** One message per history entry, however many clients it is replayed to, so it is encoded once. */
  private readonly replayed = new WeakMap<HistoryEntry, OutboundEvent>()

  constructor (streams: RoomStreams, selects: (connection: Connection, envelope: EmitEnvelope) => boolean, waitMs: number, counters: RecoveryCounters) {
    this.streams = streams
    this.selects = selects
    this.waitMs = waitMs
    this.counters = counters
  }

  /** Reads ahead for rooms the node is subscribed to already (reserved for the connection); others are left out. */
  async prepare (requested: ReadonlyMap<Room, StreamPosition>): Promise<PreparedResume> {
    const rooms = [...requested].filter(([room]) => this.streams.get(room) !== undefined)
    await this.streams.positioned(rooms.map(([room]) => room))
    const readAhead = await Promise.all(rooms.map(async ([room, from]) => [room, await this.readAhead(room, from)] as const))
    return { complete: (connection) => this.complete(connection, readAhead) }
  }

  private complete (connection: Connection, readAhead: ReadonlyArray<readonly [Room, RoomReadAhead]>): { rooms: Map<Room, RoomResume>, replay: () => void } {
    const rooms = new Map<Room, RoomResume>()
    const replays: Array<() => void> = []
    for (const [room, ahead] of readAhead) {
      const stream = this.streams.get(room)
      if (stream === undefined || !connection.rooms.has(room)) continue
      const position = stream.position()
      const tail = ahead.entries === undefined || position.epoch !== ahead.from.epoch ? undefined : stream.recentAfter(ahead.upTo)
      if (ahead.entries === undefined || tail === undefined) {
        this.counters.roomsNotRecovered++
        rooms.set(room, { recovered: false, position })
        continue
      }
      this.counters.roomsRecovered++
      rooms.set(room, { recovered: true, position: ahead.from })
      const entries = [...ahead.entries, ...tail]
      replays.push(() => {
        for (const entry of entries) {
          if (this.selects(connection, entry.envelope)) connection.deliver(this.messageOf(room, position.epoch, entry))
        }
      })
    }
    return { rooms, replay: () => { for (const replay of replays) replay() } }
  }

  private async readAhead (room: Room, from: StreamPosition): Promise<RoomReadAhead> {
    const stream = this.streams.get(room)
    const position = stream?.position()
    // A client that joined before the room's stream began holds no epoch: it continues the current one from its start.
    const epoch = from.epoch === '' && from.offset === 0 ? position?.epoch : from.epoch
    const start = { offset: from.offset, epoch: epoch ?? '' }
    if (position === undefined || epoch !== position.epoch) return { from: start, entries: undefined, upTo: 0 }
    if (from.offset > position.offset) return await this.readAheadOfNode(room, start)
    if (position.offset - from.offset > this.streams.recovery.maxReplay) return { from: start, entries: undefined, upTo: 0 }
    return { from: start, entries: await this.streams.entriesBetween(room, from.offset, position), upTo: position.offset }
  }

  /**
   * The client saw more of the room than this node has delivered: the node is behind (the events
   * are on their way from another node), or the client's position is not the stream's (its tail
   * was lost, or the position was made up). A client's word alone never fences the room: that would
   * let any member make every other member reload (the room's streams fence what they saw themselves).
   */
  private async readAheadOfNode (room: Room, from: StreamPosition): Promise<RoomReadAhead> {
    const top = await this.streams.top(room)
    if (top?.epoch !== from.epoch || top.top < from.offset) return { from, entries: undefined, upTo: 0 }
    await this.streams.get(room)?.reached(from.offset, this.waitMs)
    return { from, entries: [], upTo: from.offset }
  }

  private messageOf (room: Room, epoch: string, entry: HistoryEntry): OutboundEvent {
    let message = this.replayed.get(entry)
    if (message === undefined) {
      const { envelope } = entry
      message = new OutboundEvent(envelope.event, envelope.dataJson, envelope.omitRoom ? undefined : room, { room, offset: entry.offset, epoch })
      this.replayed.set(entry, message)
    }
    return message
  }
}
