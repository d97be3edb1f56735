import { RefCounts } from '../ref-counts'
import type { Room } from '../types'

/**
 * Replies waiting for a probe, at most. A probe that never comes back (a half-open subscriber
 * connection) must not grow this with every publish; a reply dropped here only marks nothing.
 */
const MAX_AWAITING_PROBE = 1_024

/** One publish to a room's channel, as sent: its reply may mark the room only if nothing changed since. */
interface PublishTicket {
  readonly room: Room
  readonly epoch: number
  readonly sentAt: number
}

/** Time and timers, injectable so tests move time by hand. */
export interface ProbeClock {
  now: () => number
  setTimeout: (callback: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

const SYSTEM_CLOCK: ProbeClock = {
  now: () => performance.now(),
  // Repeating probes never keep a process alive on their own.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout)
}

interface SoleSubscriberOptions {
  /** How long a mark lasts from the send time of the publish that showed it. */
  windowMs: number
  /** How long the subscriber connection counts as alive after a probe that came back was sent. */
  livenessMs: number
  /** A round trip on the subscriber connection (a PING); rejects or never settles when the connection is gone. */
  probe: () => Promise<unknown>
  clock?: ProbeClock
}

/**
 * Rooms whose channel this node was, a moment ago, the only subscriber of: their envelopes would
 * reach nobody else, so the bus need not publish them. In a cluster most rooms are like that (a
 * user's room lives where the user is connected), and each such publish would cost the node an
 * ioredis command and Redis a PUBLISH for nothing.
 *
 * How a room comes to be marked, and why the mark can be trusted:
 * - A PUBLISH reply counts the subscribers that received it. A count of 1, for a publish sent while
 *   this node's own subscription to the room was confirmed and unchanging, means this node alone —
 *   unless this node's subscriber connection was already gone at Redis (killed, half-open), when
 *   the one is another node. So a count of 1 marks the room only once a probe (a PING on the
 *   subscriber connection) sent after the reply has come back: the connection, and every
 *   subscription on it, was alive when the publish was processed.
 * - A mark holds only while the connection keeps proving alive: probes repeat while there are marks,
 *   and none counts once `livenessMs` have passed since the last probe that came back was sent. A
 *   connection that dies unnoticed therefore stops the skipping within `livenessMs`.
 * - Anything that could make a reply stale starts a new epoch, and replies or probes of an older
 *   epoch mark nothing: another node subscribing or this node unsubscribing (`forget`), a Redis
 *   connection dropping (`forgetAll`). The epoch is one for all rooms: a room's change voids every
 *   room's replies in flight, which costs only a mark made a little later.
 * - A mark lasts `windowMs` from the send time of the publish that showed it; then the next envelope
 *   is published again and its reply renews the mark. A node that subscribes announces itself and
 *   waits (at most `windowMs`) for every other subscriber to drop its mark; even a node too frozen to
 *   answer has let its marks lapse by the time that wait ends, since they all predate the
 *   subscription.
 */
export class SoleSubscriberRooms {
  private readonly windowMs: number
  private readonly livenessMs: number
  private readonly probe: () => Promise<unknown>
  private readonly clock: ProbeClock
  /** Room → send time of the publish that showed this node as its only subscriber. */
  private readonly marks = new Map<Room, number>()
  /** Room → its tickets not yet settled or probed: only a room with some needs a new epoch when it changes. */
  private readonly inFlight = new RefCounts<Room>()
  private epoch = 0
  /** Counts dropped connections: a probe sent before one proves nothing about the connection after it. */
  private connection = 0
  /** Send time of the last probe that came back: the subscriber connection was alive then. */
  private aliveAt = -Infinity
  private awaitingProbe: PublishTicket[] = []
  /** The tickets of the probe in flight, if one is. */
  private probing: PublishTicket[] | undefined
  private nextProbe: unknown
  private stopped = false

  constructor (options: SoleSubscriberOptions) {
    this.windowMs = options.windowMs
    this.livenessMs = options.livenessMs
    this.probe = options.probe
    this.clock = options.clock ?? SYSTEM_CLOCK
  }

  /** True while the room's envelopes need not be published. */
  isSole (room: Room): boolean {
    const sentAt = this.marks.get(room)
    if (sentAt === undefined) return false
    const now = this.clock.now()
    if (this.hasLapsed(sentAt, now)) {
      this.marks.delete(room)
      return false
    }
    return now - this.aliveAt < this.livenessMs
  }

  /** Taken just before publishing to a room this node is confirmed subscribed to. */
  ticket (room: Room): PublishTicket {
    this.inFlight.add(room)
    return { room, epoch: this.epoch, sentAt: this.clock.now() }
  }

  /** The publish's reply: how many subscribers received it (undefined: it did not reach Redis). */
  settle (ticket: PublishTicket, receivers: number | undefined): void {
    if (receivers !== 1 || ticket.epoch !== this.epoch || this.awaitingProbe.length >= MAX_AWAITING_PROBE) {
      this.release(ticket)
      return
    }
    this.awaitingProbe.push(ticket)
    if (this.probing === undefined) this.startProbe()
  }

  /** Another node subscribed to the room, or this node unsubscribed: publish its envelopes again. */
  forget (room: Room): void {
    if (this.inFlight.has(room)) this.epoch++
    this.marks.delete(room)
  }

  /**
   * A Redis connection dropped: nothing known before can be trusted. The probe in flight is given up
   * on: ioredis may drop it without settling it (autoResendUnfulfilledCommands: false), and a probe
   * that never settles must not stop every later one.
   */
  forgetAll (): void {
    this.epoch++
    this.connection++
    this.aliveAt = -Infinity
    this.marks.clear()
    this.clock.clearTimeout(this.nextProbe)
    this.nextProbe = undefined
    for (const ticket of [...this.awaitingProbe.splice(0), ...(this.probing ?? [])]) this.release(ticket)
    this.probing = undefined
  }

  /** No more probes (the bus is closing). */
  stop (): void {
    this.stopped = true
    this.clock.clearTimeout(this.nextProbe)
  }

  /** Drops lapsed marks; true if any is left, to keep proving the connection alive for. */
  private hasLiveMarks (): boolean {
    const now = this.clock.now()
    for (const [room, sentAt] of this.marks) {
      if (this.hasLapsed(sentAt, now)) this.marks.delete(room)
    }
    return this.marks.size > 0
  }

  private hasLapsed (markSentAt: number, now: number): boolean {
    return now - markSentAt >= this.windowMs
  }

  private release ({ room }: PublishTicket): void {
    this.inFlight.remove(room)
  }

  private startProbe (): void {
    this.clock.clearTimeout(this.nextProbe)
    this.nextProbe = undefined
    if (this.stopped) return
    const batch = this.awaitingProbe
    this.awaitingProbe = []
    this.probing = batch
    const { connection } = this
    const sentAt = this.clock.now()
    const settled = (cameBack: boolean): void => {
      // Given up on by forgetAll: its tickets are released, and another probe may be in flight.
      if (connection !== this.connection) return
      this.probing = undefined
      if (cameBack) this.aliveAt = Math.max(this.aliveAt, sentAt)
      for (const ticket of batch) {
        if (cameBack && ticket.epoch === this.epoch && ticket.sentAt > (this.marks.get(ticket.room) ?? -Infinity)) this.marks.set(ticket.room, ticket.sentAt)
        this.release(ticket)
      }
      if (this.awaitingProbe.length > 0) this.startProbe()
      else if (this.hasLiveMarks() && !this.stopped) this.nextProbe = this.clock.setTimeout(() => this.startProbe(), this.livenessMs / 2)
    }
    this.probe().then(() => settled(true), () => settled(false))
  }
}
