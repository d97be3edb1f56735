import type { Bus } from '../bus/bus'
import { RefCounts } from '../ref-counts'
import { settleWithin } from '../settle-within'
import type { Room } from '../types'

/**
 * Which rooms this node's bus is subscribed to. A room is subscribed while it has a local member,
 * or while it is reserved for a connection that is about to join it (admission subscribes first, so
 * the client's welcome can wait for the subscriptions without the client being reachable yet).
 *
 * Only subscriptions still in flight are kept here: whether a room is subscribed follows from its
 * members and reservations, so a settled subscription costs no memory (every connection has a
 * `user:` room of its own).
 *
 * Waiting is bounded by `waitMs`: a join is acknowledged once the room's envelopes reach this node,
 * or after `waitMs` if Redis does not confirm (frozen), never later.
 */
/** Hears of each room this node starts and stops receiving (the room streams follow them). */
export interface SubscriptionObserver {
  /** `inEffect` resolves once the room's messages reach this node, or after the wait bound. */
  subscribed: (room: Room, inEffect: Promise<void>) => void
  unsubscribed: (room: Room) => void
}

export class RoomSubscriptions {
  private readonly bus: Bus
  private readonly waitMs: number
  private readonly hasMembers: (room: Room) => boolean
  private readonly observer: SubscriptionObserver | undefined
  private readonly pending = new Map<Room, Promise<void>>()
  private readonly reservations = new RefCounts<Room>()

  constructor (bus: Bus, waitMs: number, hasMembers: (room: Room) => boolean, observer?: SubscriptionObserver) {
    this.bus = bus
    this.waitMs = waitMs
    this.hasMembers = hasMembers
    this.observer = observer
  }

  /** The room got its first local member: subscribe, unless a reservation already did. */
  hold (room: Room): void {
    if (!this.reservations.has(room)) this.subscribe(room)
  }

  /** The room's last local member left: unsubscribe, unless a connection about to join holds a reservation. */
  release (room: Room): void {
    if (!this.reservations.has(room)) this.unsubscribe(room)
  }

  /** Subscribes to rooms ahead of joins; the returned function ends the reservation. */
  reserve (rooms: readonly Room[]): () => void {
    for (const room of rooms) {
      if (this.reservations.add(room) && !this.hasMembers(room)) this.subscribe(room)
    }
    return () => {
      for (const room of rooms) {
        if (this.reservations.remove(room) && !this.hasMembers(room)) this.unsubscribe(room)
      }
    }
  }

  /** Resolves once these rooms' subscriptions are in effect, or after `waitMs`. Never rejects. */
  async inEffect (rooms: Iterable<Room>): Promise<void> {
    const pending: Array<Promise<void>> = []
    for (const room of rooms) {
      const subscription = this.pending.get(room)
      if (subscription !== undefined) pending.push(subscription)
    }
    if (pending.length === 0) return
    await settleWithin(Promise.all(pending), this.waitMs)
  }

  private subscribe (room: Room): void {
    const subscription = this.bus.subscribe(room).then(() => {
      if (this.pending.get(room) === subscription) this.pending.delete(room)
    })
    this.pending.set(room, subscription)
    this.observer?.subscribed(room, settleWithin(subscription, this.waitMs))
  }

  private unsubscribe (room: Room): void {
    this.pending.delete(room)
    this.bus.unsubscribe(room)
    this.observer?.unsubscribed(room)
  }
}
