import type { FastifyBaseLogger } from 'fastify'
import type { RedisClient } from '../bus/redis-connections'
import { settleWithin } from '../settle-within'
import type { NodeId, Room } from '../types'
import type { RedisPresenceKeys } from './redis-presence-keys'
import { HEARTBEAT_SCRIPT, RETIRE_SCRIPT } from './redis-presence-scripts'

const HEARTBEAT_COMMAND = 'fastifyRealtimePresenceHeartbeat'
const RETIRE_COMMAND = 'fastifyRealtimePresenceRetire'

/** Beats per node heartbeat interval: how soon after an owner expires a survivor notices. */
const BEATS_PER_INTERVAL = 4
/**
 * An owner expires 1.25 node heartbeat intervals after its last beat: a live node whose beats stall
 * for up to a whole interval (event-loop lag, a slow Redis) is not taken for dead, and a dead one is
 * noticed within 1.25 + 0.25 intervals, leaving half an interval of the 2-interval bound for its sweep.
 */
const OWNER_TTL_INTERVALS = 1.25
/** Dead owners one beat claims at most; the rest wait for the next beat. */
const MAX_CLAIMS_PER_BEAT = 8
/** How long a sweep may take before another node may take it over (its sweeper died). */
const SWEEP_CLAIM_MS = 60_000
/** Rooms of a dead owner read per SSCAN. */
const ROOMS_PER_SCAN = 100
/** Every presence key expires this long after its last write or refresh, so a cluster gone for good leaves nothing behind. */
export const PRESENCE_KEY_TTL = 24 * 60 * 60 * 1000

type OwnerCommands = RedisClient & {
  [HEARTBEAT_COMMAND]: (owners: string, sweeping: string, ...args: Array<string | number>) => Promise<[number, string[]]>
  [RETIRE_COMMAND]: (owners: string, sweeping: string, owner: string, claimUntil: number) => Promise<number>
}

/** What the registry does to the rooms of owners it sweeps, and tells the store. */
export interface OwnerEvents {
  /** Removes every connection `owner` has in `room`, announcing the leaves. Rejects when Redis does. */
  readonly sweepRoom: (room: Room, owner: string) => Promise<void>
  /** This node has a new owner: its members are to be added again under it. */
  readonly renewed: () => void
  /** Called on every beat that reached Redis. */
  readonly beat: () => void
}

/**
 * Which nodes (owners, in presence's words) hold presence members, and the liveness that makes a
 * dead node's members disappear: every owner refreshes its expiry in a sorted set on each beat
 * (four per node heartbeat interval; one command that also claims dead owners), and expires
 * 1.25 intervals after its last one. A node whose beat finds a dead owner sweeps its rooms (listed
 * in a set per owner) and publishes the leaves. So a dead node's members are gone within
 * 1.25 + 0.25 node heartbeat intervals, plus the sweep itself: within 2 intervals.
 *
 * An owner is a node id and a generation: a node that finds itself gone from the registry (Redis
 * restarted, or it froze and was swept) takes a new owner and adds its members again, so nothing a
 * sweep of the old one removes is its new members. A node sweeps others only once it has been
 * connected to Redis for a whole owner lifetime: after an outage every owner may have expired
 * without any node being dead. Clocks must agree to well within half an interval.
 */
export class RedisPresenceOwners {
  private readonly client: OwnerCommands
  private readonly keys: RedisPresenceKeys
  private readonly ownerTtl: number
  private readonly beatInterval: number
  private readonly events: OwnerEvents
  private log: FastifyBaseLogger | undefined
  private nodeId: NodeId = ''
  private generation = 0
  private timer: NodeJS.Timeout | undefined
  private beating = false
  private stopped = false
  /** Since when this node has reached Redis without a break (undefined while it does not). */
  private connectedSince: number | undefined
  private readonly sweeps = new Set<Promise<void>>()
  current = ''

  constructor (client: RedisClient, keys: RedisPresenceKeys, heartbeatInterval: number, events: OwnerEvents) {
    client.defineCommand(HEARTBEAT_COMMAND, { numberOfKeys: 2, lua: HEARTBEAT_SCRIPT })
    client.defineCommand(RETIRE_COMMAND, { numberOfKeys: 2, lua: RETIRE_SCRIPT })
    this.client = client as OwnerCommands
    this.keys = keys
    this.ownerTtl = Math.ceil(heartbeatInterval * OWNER_TTL_INTERVALS)
    this.beatInterval = Math.max(1, Math.floor(heartbeatInterval / BEATS_PER_INTERVAL))
    this.events = events
  }

  /** Registers this node's first owner and starts beating. Rejects when Redis does. */
  async start (nodeId: NodeId, log: FastifyBaseLogger): Promise<void> {
    this.nodeId = nodeId
    this.log = log
    this.current = `${nodeId}.${this.generation}`
    await this.register()
    this.connectedSince = Date.now()
    this.timer = setInterval(() => { void this.beat() }, this.beatInterval)
    this.timer.unref()
  }

  /** Stops beating, waits (boundedly) for sweeps under way, and sweeps this node's own owner. */
  async stop (timeoutMs: number): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await settleWithin(Promise.all(this.sweeps), timeoutMs)
    if (this.client.status !== 'ready' || this.current === '') return
    const owner = this.current
    try {
      await this.client[RETIRE_COMMAND](this.keys.owners, this.keys.sweeping, owner, Date.now() + SWEEP_CLAIM_MS)
    } catch {
      return
    }
    await settleWithin(this.sweep(owner), timeoutMs)
  }

  private async register (): Promise<void> {
    await this.client.zadd(this.keys.owners, Date.now() + this.ownerTtl, this.current)
  }

  private async beat (): Promise<void> {
    if (this.beating || this.stopped) return
    if (this.client.status !== 'ready') {
      this.connectedSince = undefined
      return
    }
    this.beating = true
    try {
      const now = Date.now()
      this.connectedSince ??= now
      const mayClaim = now - this.connectedSince >= this.ownerTtl
      const [alive, claimed] = await this.client[HEARTBEAT_COMMAND](this.keys.owners, this.keys.sweeping,
        this.current, now, now + this.ownerTtl, now + SWEEP_CLAIM_MS, MAX_CLAIMS_PER_BEAT, mayClaim ? '1' : '0', PRESENCE_KEY_TTL)
      if (this.stopped) return
      if (Number(alive) === 0) await this.renew()
      this.client.pexpire(this.keys.ownerRooms(this.current), PRESENCE_KEY_TTL).catch(ignore)
      this.events.beat()
      for (const owner of claimed) this.track(this.sweep(owner))
    } catch (err) {
      this.log?.debug({ err }, 'fastify-realtime: a presence heartbeat failed; the next one tries again')
    } finally {
      this.beating = false
    }
  }

  /** This node was gone from the registry: a new owner, registered before any member is added under it. */
  private async renew (): Promise<void> {
    const previous = this.current
    this.current = `${this.nodeId}.${++this.generation}`
    this.log?.warn({ previous, owner: this.current }, 'fastify-realtime: this node\'s presence was lost (Redis restarted, or the node was taken for dead); adding its members again')
    await this.register()
    this.events.renewed()
  }

  private track (sweep: Promise<void>): void {
    this.sweeps.add(sweep)
    void sweep.finally(() => this.sweeps.delete(sweep))
  }

  /** Removes every member of a dead (or retiring) owner, room by room, then the owner itself. Never rejects. */
  private async sweep (owner: string): Promise<void> {
    const roomsKey = this.keys.ownerRooms(owner)
    try {
      let cursor = '0'
      do {
        const [next, rooms] = await this.client.sscan(roomsKey, cursor, 'COUNT', ROOMS_PER_SCAN)
        cursor = next
        await Promise.all(rooms.map(async (room) => await this.events.sweepRoom(room, owner)))
      } while (cursor !== '0')
      await Promise.all([this.client.zrem(this.keys.sweeping, owner), this.client.del(roomsKey)])
    } catch (err) {
      // The claim expires and a node sweeps the owner again; sweeping is idempotent.
      this.log?.debug({ err, owner }, 'fastify-realtime: a presence sweep failed; it is taken up again later')
    }
  }
}

function ignore (): void {
  // A failed refresh is made again on the next beat.
}
