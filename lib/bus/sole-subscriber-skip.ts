import type { ControlEnvelope, EmitEnvelope } from './envelope'
import type { RedisChannels } from './redis-channels'
import type { RedisPublisher } from './redis-publisher'
import { SoleSubscriberRooms } from './sole-subscriber'
import { SubscriptionAnnouncements } from './subscription-announcements'
import { RefCounts } from '../ref-counts'
import type { NodeId, Room } from '../types'

/**
 * How long the subscriber connection counts as alive after a PING on it came back: a connection
 * that dies without the node noticing stops it skipping publishes within this time.
 */
const SUBSCRIBER_LIVENESS_MS = 100

interface SoleSubscriberSkipOptions {
  publisher: RedisPublisher
  channels: RedisChannels
  nodeId: NodeId
  /** The hub's bound on waiting for a subscription (`clusterRequestTimeout`). */
  subscribeTimeout: number
  /** A PING on the subscriber connection. */
  probe: () => Promise<unknown>
  /** Whether the bus holds a subscription to the room (confirmed or not). */
  isSubscribed: (room: Room) => boolean
  /** False from the subscriber connection dropping until everything is subscribed again. */
  subscriptionsInPlace: () => boolean
}

/**
 * The one optimisation of the Redis bus, kept apart from it: a node does not publish an emit to a
 * room while it is the room's only subscriber (SoleSubscriberRooms), since nobody else would
 * receive it. In a cluster most rooms are like that (a user's room lives where the user is
 * connected). Only plain emits to one room are ever skipped: the bus asks `publish` for those and
 * publishes everything else itself.
 *
 * What it needs from the bus: every subscription change (`tracking`), the end of each new
 * subscription (`subscribed`: the node announces itself and waits until every other subscriber has
 * dropped its mark — SubscriptionAnnouncements), unsubscribes, a lost connection, the control
 * messages of other nodes, and whether all subscriptions are in place after a reconnect.
 *
 * Only on a single Redis: PING, the liveness probe, does not reach a Cluster's shard subscribers.
 */
export class SoleSubscriberSkip {
  private readonly channels: RedisChannels
  private readonly publisher: RedisPublisher
  private readonly nodeId: NodeId
  private readonly marks: SoleSubscriberRooms
  private readonly announcements: SubscriptionAnnouncements
  private readonly isSubscribed: (room: Room) => boolean
  private readonly subscriptionsInPlace: () => boolean
  /** Rooms with a SUBSCRIBE or UNSUBSCRIBE not yet answered, and how many. */
  private readonly changesInFlight = new RefCounts<Room>()

  constructor (options: SoleSubscriberSkipOptions) {
    this.channels = options.channels
    this.publisher = options.publisher
    this.nodeId = options.nodeId
    this.isSubscribed = options.isSubscribed
    this.subscriptionsInPlace = options.subscriptionsInPlace
    // Half the hub's wait: a join that took effect by the hub giving up on it still outlasts the
    // marks made before its subscription, as long as SUBSCRIBE itself took less than that.
    const windowMs = options.subscribeTimeout / 2
    this.marks = new SoleSubscriberRooms({ windowMs, livenessMs: Math.min(windowMs, SUBSCRIBER_LIVENESS_MS), probe: options.probe })
    this.announcements = new SubscriptionAnnouncements(this.publisher, this.channels, this.nodeId, windowMs)
  }

  /**
   * Publishes an emit to one room, or does not when this node alone would receive it. Resolves
   * true once Redis took it (or nobody else needs it), false when it did not reach Redis.
   */
  async publish (room: Room, envelope: EmitEnvelope): Promise<boolean> {
    // A PUBLISH reply counts this node only while its subscription is confirmed and not changing.
    if (!this.subscriptionsInPlace() || !this.isSubscribed(room) || this.changesInFlight.has(room)) return await this.publisher.publish(envelope)
    if (this.marks.isSole(room)) return true
    const ticket = this.marks.ticket(room)
    const receivers = await this.publisher.send(this.channels.room(room), envelope)
    this.marks.settle(ticket, receivers)
    return receivers !== undefined
  }

  /** The bus (un)subscribes a room; its reply settles `change`. */
  async tracking (room: Room, subscribing: boolean, change: Promise<unknown>): Promise<void> {
    if (!subscribing) this.marks.forget(room)
    this.changesInFlight.add(room)
    try {
      await change
    } finally {
      this.changesInFlight.remove(room)
    }
  }

  /** A new subscription is in place: resolves once no other node skips the room's emits any more. */
  async subscribed (room: Room): Promise<void> {
    await this.announcements.announce(room)
  }

  /**
   * Every subscription is in place again after a reconnect. While this node was away, another
   * subscriber may have found itself alone in these rooms: resolves once each has heard it is not.
   */
  async resubscribed (rooms: readonly Room[]): Promise<void> {
    await Promise.all(rooms.map(async (room) => await this.announcements.announce(room)))
  }

  /** A Redis connection dropped: nothing known before can be trusted. */
  connectionLost (): void {
    this.marks.forgetAll()
  }

  /** Another node's announcement, or its answer to one of this node's. */
  receive (envelope: ControlEnvelope): void {
    if (envelope.type === 'subscribed-ack') {
      this.announcements.acknowledge(envelope.announcementId)
      return
    }
    // Publishing the room's emits again before saying so is what the announcing node waits for.
    this.marks.forget(envelope.room)
    void this.publisher.send(this.channels.node(envelope.origin), { type: 'subscribed-ack', origin: this.nodeId, announcementId: envelope.announcementId })
  }

  stop (): void {
    this.marks.stop()
    this.announcements.finishAll()
  }
}
