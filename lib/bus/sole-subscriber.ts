import type { Room } from '../types'

/**
 * Replies waiting for a probe, at most. A probe that never comes back (a half-open subscriber
 * connection) must not grow this with every publish; a reply dropped here only marks nothing.
 */
const MAX_AWAITING_PROBE = 1_024

/** One publish to a room's channel, as sent: its reply may mark the room only if nothing changed since. */
export interface PublishTicket {
  readonly room: Room
  readonly epoch: number
  readonly sentAt: number
}

/**
 * Rooms whose channel this node was, a moment ago, the only subscriber of: their envelopes would
 * reach nobody else, so the bus need not publish them. In a cluster most rooms are like that (a
 * user's room lives where the user is connected), and a publish costs Redis, ioredis and the
 * node more than the local delivery it accompanies.
 *
 * How a room comes to be marked, and why the mark can be trusted:
 * - A PUBLISH reply counts the subscribers that received it. A count of 1, for a publish sent while
 *   this node's own subscription to the room was confirmed and unchanging, means this node alone.
 * - Unless this node's subscriber connection was already gone at Redis (killed, half-open): the
 *   one could then be another node. So a count of 1 marks the room only after a round trip on the
 *   subscriber connection (`probe`, a PING) that began after the reply: the connection, and with it
 *   every subscription on it, was alive when the publish was processed.
 * - Anything that could make a reply stale starts a new epoch, and replies or probes of an older
 *   epoch mark nothing: another node subscribing (`forget`), this node unsubscribing, a Redis
 *   connection dropping (`forgetAll`).
 * - A mark lasts `windowMs` from the send time of the publish that showed it; then the next envelope
 *   is published again and its reply renews the mark. A node that subscribes announces itself and
 *   waits (at most `windowMs`) for every other subscriber to drop its mark; even a node too frozen to
 *   answer has let its marks lapse by the time that wait ends, since they all predate the
 *   subscription.
 */
export class SoleSubscriberRooms {
  private readonly windowMs: number
  private readonly probe: () => Promise<unknown>
  private readonly now: () => number
  /** Room → send time of the publish that showed this node as its only subscriber. */
  private readonly marks = new Map<Room, number>()
  /** Room → its tickets not yet settled or probed: a room's change must void only those. */
  private readonly inFlight = new Map<Room, number>()
  private epoch = 0
  private awaitingProbe: PublishTicket[] = []
  private probing = false

  constructor (windowMs: number, probe: () => Promise<unknown>, now: () => number = () => performance.now()) {
    this.windowMs = windowMs
    this.probe = probe
    this.now = now
  }

  /** True while the room's envelopes need not be published. */
  isSole (room: Room): boolean {
    const sentAt = this.marks.get(room)
    if (sentAt === undefined) return false
    if (this.now() - sentAt < this.windowMs) return true
    this.marks.delete(room)
    return false
  }

  /** Taken just before publishing to a room this node is confirmed subscribed to. */
  ticket (room: Room): PublishTicket {
    this.inFlight.set(room, (this.inFlight.get(room) ?? 0) + 1)
    return { room, epoch: this.epoch, sentAt: this.now() }
  }

  /** The publish's reply: how many subscribers received it (undefined: it did not reach Redis). */
  settle (ticket: PublishTicket, receivers: number | undefined): void {
    if (receivers !== 1 || ticket.epoch !== this.epoch || this.awaitingProbe.length >= MAX_AWAITING_PROBE) {
      this.release(ticket)
      return
    }
    this.awaitingProbe.push(ticket)
    if (!this.probing) this.startProbe()
  }

  /** Another node subscribed to the room, or this node unsubscribed: publish its envelopes again. */
  forget (room: Room): void {
    // A new epoch voids every ticket in flight; only needed when some are this room's.
    if (this.inFlight.has(room)) this.epoch++
    this.marks.delete(room)
  }

  /** A Redis connection dropped: nothing known before can be trusted. */
  forgetAll (): void {
    this.epoch++
    this.marks.clear()
    for (const ticket of this.awaitingProbe.splice(0)) this.release(ticket)
  }

  private release ({ room }: PublishTicket): void {
    const left = (this.inFlight.get(room) ?? 1) - 1
    if (left > 0) this.inFlight.set(room, left)
    else this.inFlight.delete(room)
  }

  private startProbe (): void {
    const batch = this.awaitingProbe
    this.awaitingProbe = []
    this.probing = true
    const settled = (proven: boolean): void => {
      this.probing = false
      for (const ticket of batch) {
        const { room, epoch, sentAt } = ticket
        if (proven && epoch === this.epoch && sentAt > (this.marks.get(room) ?? -Infinity)) this.marks.set(room, sentAt)
        this.release(ticket)
      }
      if (this.awaitingProbe.length > 0) this.startProbe()
    }
    this.probe().then(() => settled(true), () => settled(false))
  }
}
