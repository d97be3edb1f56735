import type { FastifyBaseLogger } from 'fastify'
import { invalidArgument, RealtimeConfigError, RealtimeError } from '../errors'
import type { Connection } from '../hub/connection'
import type { Hub } from '../hub/hub'
import { isValidRoomName, ROOM_NAME_RULE } from '../protocol/names'
import type { PresenceEntry, PresenceSnapshot, PresenceStats } from '../protocol/presence'
import type { Room } from '../types'
import { LocalPresence } from './local-presence'
import type { ResolvedPresence } from './presence-options'
import type { PresenceRead, PresenceStore } from './presence-store'

/**
 * Presence (the `presence` option): who is in a room, for the whole cluster, one entry per user.
 * This node tells the store of its members as they join and leave (LocalPresence); the store
 * counts people across nodes and announces `presence:join` and `presence:leave` to the room.
 * Queries read the store, after this node's own changes to the room are in it.
 */
export class Presence {
  private readonly store: PresenceStore
  private readonly options: ResolvedPresence
  private readonly local: LocalPresence
  /** The most a query waits for this node's own changes to reach the store (the cluster's wait bound). */
  private readonly waitMs: number

  constructor (hub: Hub, store: PresenceStore, options: ResolvedPresence, log: FastifyBaseLogger, waitMs: number) {
    this.store = store
    this.options = options
    this.waitMs = waitMs
    this.local = new LocalPresence({ store, options, log, subscribed: async (rooms) => await hub.subscribed(rooms) })
    hub.observeMembership(this.local)
  }

  /** Starts the store for this node; rejects when it cannot start. */
  async start (nodeId: string, log: FastifyBaseLogger): Promise<void> {
    await this.store.start({
      id: nodeId,
      log,
      announces: (room) => this.announces(room, log),
      deliver: (room, event, dataJson) => this.local.deliver(room, event, dataJson),
      restore: () => this.local.restore(),
      retry: () => this.local.retry()
    })
  }

  /**
   * Once the node's connections are gone: waits (at most `timeoutMs`) for their leaves to reach the
   * store, then removes whatever of this node is left there.
   */
  async stop (timeoutMs: number): Promise<void> {
    await this.local.flush(timeoutMs)
    await this.store.stop()
  }

  /** One entry per user in the room, at most `presence.listLimit`. Throws FST_REALTIME_INVALID_ARGUMENT for a room that does not track presence. */
  async list (room: Room): Promise<PresenceEntry[]> {
    return (await this.read(room, () => this.store.read(room, this.options.listLimit))).members
  }

  async stats (room: Room): Promise<PresenceStats> {
    return await this.read(room, () => this.store.stats(room))
  }

  /**
   * A client's request for a room's presence: only a member may ask (FORBIDDEN otherwise, whether or
   * not the room exists), of a room that tracks presence (BAD_REQUEST). INTERNAL while the store
   * cannot be read.
   */
  async requestedBy (connection: Connection, room: unknown): Promise<PresenceSnapshot> {
    if (!isValidRoomName(room)) throw new RealtimeError('BAD_REQUEST', `Room must be ${ROOM_NAME_RULE}`)
    if (!connection.rooms.has(room)) throw new RealtimeError('FORBIDDEN', 'Only a member of the room may ask for its presence')
    if (!this.local.tracks(room)) throw new RealtimeError('BAD_REQUEST', 'This room does not track presence')
    await this.local.settled(room, this.waitMs)
    const read: PresenceRead | undefined = await this.store.read(room, this.options.listLimit)
    if (read === undefined) throw new RealtimeError('INTERNAL', 'Presence cannot be read right now')
    return { room, users: read.users, connections: read.connections, members: read.members }
  }

  private async read<T> (room: Room, query: () => Promise<T | undefined>): Promise<T> {
    if (!isValidRoomName(room)) throw invalidArgument('room', ROOM_NAME_RULE)
    if (!this.local.tracks(room)) throw invalidArgument('room', 'a room that tracks presence (see presence.rooms)')
    await this.local.settled(room, this.waitMs)
    const answer = await query()
    if (answer === undefined) throw new RealtimeConfigError('FST_REALTIME_REDIS_UNAVAILABLE', 'fastify-realtime: the room\'s presence cannot be read (Redis unreachable)')
    return answer
  }

  private announces (room: Room, log: FastifyBaseLogger): boolean {
    try {
      return this.options.events(room)
    } catch (err) {
      log.error({ err, room }, 'fastify-realtime: presence.events threw; the room\'s presence events are not sent')
      return false
    }
  }
}
