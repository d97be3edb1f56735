import { routingRoom, type RoutedEnvelope } from './envelope'
import { invalidOption } from '../errors'
import { isValidRoomName } from '../protocol/names'
import type { NodeId, Room } from '../types'

const DEFAULT_REDIS_PREFIX = 'fastify-realtime'
const MAX_PREFIX_LENGTH = 100

/**
 * The names of every Redis channel and key one cluster uses, all under one prefix and readable in
 * `PUBSUB CHANNELS` or `MONITOR`: `{prefix}#room#{room}` per room (emits to it), `{prefix}#all` for
 * envelopes every node needs (emits to several rooms or none; disconnects, joins and leaves), `{prefix}#node#{id}` per node, `{prefix}#nodes` for the
 * node registry. The room name comes last, so any room name maps to its own channel.
 */
export class RedisChannels {
  readonly prefix: string
  readonly broadcast: string
  readonly nodeRegistry: string

  constructor (prefix: string) {
    this.prefix = prefix
    this.broadcast = `${prefix}#all`
    this.nodeRegistry = `${prefix}#nodes`
  }

  room (room: Room): string {
    return `${this.prefix}#room#${room}`
  }

  /** The room a room channel is for; undefined for any other channel. */
  roomOf (channel: string): Room | undefined {
    const prefix = `${this.prefix}#room#`
    return channel.startsWith(prefix) ? channel.slice(prefix.length) : undefined
  }

  node (node: NodeId): string {
    return `${this.prefix}#node#${node}`
  }

  /**
   * What the keys of a room (its history, its presence) are named after: its channel. On a Cluster
   * (`sharded`) they must hash to the channel's slot, for one script to touch them and publish: a
   * channel with a hash tag of its own keeps it in any suffixed name, one without becomes the tag,
   * and one with a `}` but no tag cannot be matched (undefined).
   */
  roomKeyBase (room: Room, sharded: boolean): string | undefined {
    const channel = this.room(room)
    if (!sharded || hasHashTag(channel)) return channel
    return channel.includes('}') ? undefined : `{${channel}}`
  }

  /** The key of a recovery session (see the recovery option). */
  session (id: string): string {
    return `${this.prefix}#session#${id}`
  }

  /** Where an envelope goes: its room's channel when only that room's nodes need it, the broadcast channel otherwise. */
  of (envelope: RoutedEnvelope): string {
    const room = routingRoom(envelope)
    return room === undefined ? this.broadcast : this.room(room)
  }
}

/**
 * Checks a prefix option: the rules of a room name (no control characters), shorter, and no `#`:
 * that is the separator, so one cluster's channels cannot be mistaken for another's.
 */
export function resolvePrefix (name: string, value: unknown): string {
  if (value === undefined) return DEFAULT_REDIS_PREFIX
  if (typeof value !== 'string' || value.length > MAX_PREFIX_LENGTH || value.includes('#') || !isValidRoomName(value)) {
    throw invalidOption(name, `a non-empty string of at most ${MAX_PREFIX_LENGTH} characters without "#" or control characters`)
  }
  return value
}

/** Redis Cluster's rule: a `{…}` with something inside, the first `{` and the first `}` after it. */
function hasHashTag (name: string): boolean {
  const open = name.indexOf('{')
  if (open === -1) return false
  const close = name.indexOf('}', open + 1)
  return close > open + 1
}
