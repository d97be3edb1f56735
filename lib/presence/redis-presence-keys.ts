import type { RedisChannels } from '../bus/redis-channels'
import type { Room } from '../types'

/** A room's presence keys (see redis-presence-scripts.ts); `owned` is one owner's. */
export interface RoomPresenceKeys {
  readonly users: string
  readonly count: string
  readonly owned: string
}

/**
 * The names of presence's keys, under the cluster's prefix. A room's keys are named after its
 * channel and, on a Cluster, hash to the channel's slot (the scripts publish on it), by the rule
 * room histories follow: a channel with a hash tag of its own keeps it, one without becomes the tag,
 * and one with a `}` but no tag cannot be matched (no presence for that room). The owner registry's
 * two sorted sets share one tag, so one script can move an owner from one to the other.
 */
export class RedisPresenceKeys {
  readonly owners: string
  readonly sweeping: string
  private readonly channels: RedisChannels
  private readonly sharded: boolean

  constructor (channels: RedisChannels, sharded: boolean) {
    this.channels = channels
    this.sharded = sharded
    this.owners = `{${channels.prefix}#presence}#owners`
    this.sweeping = `{${channels.prefix}#presence}#sweeping`
  }

  /** The rooms an owner has members in, for whoever sweeps it once it is dead. */
  ownerRooms (owner: string): string {
    return `${this.channels.prefix}#presence-rooms#${owner}`
  }

  channel (room: Room): string {
    return this.channels.room(room)
  }

  /** Undefined for a room whose keys cannot share its channel's slot. */
  room (room: Room, owner: string): RoomPresenceKeys | undefined {
    const base = this.channels.roomKeyBase(room, this.sharded)
    if (base === undefined) return undefined
    return { users: `${base}#presence`, count: `${base}#presence-count`, owned: `${base}#presence-owner#${owner}` }
  }
}
