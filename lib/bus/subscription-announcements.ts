import { randomUUID } from 'node:crypto'
import type { RedisChannels } from './redis-channels'
import type { RedisPublisher } from './redis-publisher'
import type { NodeId, Room } from '../types'

interface PendingAnnouncement {
  acknowledged: number
  /** Set once the announcement's PUBLISH reply says how many other subscribers heard it. */
  expected: number | undefined
  finish: () => void
}

/**
 * The announcing side of a new room subscription: this node tells the room's other subscribers
 * that it now receives the room, and waits until each has answered — so any of them that had
 * stopped publishing the room's envelopes as its only subscriber (SoleSubscriberRooms) has started
 * again — or at most `waitMs`. Acknowledgements travel on this node's own channel.
 */
export class SubscriptionAnnouncements {
  private readonly publisher: RedisPublisher
  private readonly channels: RedisChannels
  private readonly nodeId: NodeId
  private readonly waitMs: number
  private readonly pending = new Map<string, PendingAnnouncement>()

  constructor (publisher: RedisPublisher, channels: RedisChannels, nodeId: NodeId, waitMs: number) {
    this.publisher = publisher
    this.channels = channels
    this.nodeId = nodeId
    this.waitMs = waitMs
  }

  /** Resolves once every other subscriber of the room has acknowledged, or after `waitMs`. Never rejects. */
  async announce (room: Room): Promise<void> {
    const announcementId = randomUUID()
    const entry: PendingAnnouncement = { acknowledged: 0, expected: undefined, finish: () => {} }
    const done = new Promise<void>((resolve) => { entry.finish = resolve })
    // Registered before publishing: acknowledgements can come back before the PUBLISH reply.
    this.pending.set(announcementId, entry)
    const receivers = await this.publisher.send(this.channels.room(room), { type: 'subscribed', origin: this.nodeId, room, announcementId })
    // The count includes this node. Undefined: the command connection is down and nobody heard it;
    // waiting the whole `waitMs` still lets every mark made before this subscription lapse (marks
    // are renewed only by replies that count this node too).
    entry.expected = receivers === undefined ? Infinity : Math.max(receivers - 1, 0)
    if (entry.acknowledged < entry.expected) {
      const timer = setTimeout(entry.finish, this.waitMs).unref()
      await done
      clearTimeout(timer)
    }
    this.pending.delete(announcementId)
  }

  /** Ends every wait at once (the bus is closing). */
  finishAll (): void {
    for (const entry of this.pending.values()) entry.finish()
  }

  /** Another node answered one of this node's announcements. */
  acknowledge (announcementId: string): void {
    const entry = this.pending.get(announcementId)
    if (entry === undefined) return
    entry.acknowledged++
    if (entry.expected !== undefined && entry.acknowledged >= entry.expected) entry.finish()
  }
}
