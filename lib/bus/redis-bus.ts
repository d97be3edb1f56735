import type Redis from 'ioredis'
import type { Bus, BusNode, BusStatus } from './bus'
import { decodeEnvelope } from './envelope-codec'
import { routingRoom, type EmitEnvelope, type NodeEnvelope, type RoutedEnvelope } from './envelope'
import { readStamp, RedisHistory } from './redis-history'
import { DEFAULT_NODE_HEARTBEAT_INTERVAL, NodeRegistry } from './node-registry'
import { RedisChannels, resolvePrefix } from './redis-channels'
import {
  checkRedisOption, closeConnection, isCluster, openCommandConnection, openSubscriberConnection, startConnecting, whenReady,
  type RedisClient, type RedisConnectionOption
} from './redis-connections'
import { RedisHealth } from './redis-health'
import { RedisPublisher } from './redis-publisher'
import { SoleSubscriberSkip } from './sole-subscriber-skip'
import { invalidOption, RealtimeConfigError } from '../errors'
import { positiveInteger } from '../options-checks'
import type { PresenceStore } from '../presence/presence-store'
import { RedisPresenceStore } from '../presence/redis-presence'
import { settleWithin } from '../settle-within'
import type { HistoryRead, StreamPosition, StreamStamp } from '../recovery/stream-position'
import type { NodeId, Room } from '../types'

const CLOSE_TIMEOUT_MS = 1_000

export interface RedisBusOptions {
  /** A Redis URL, ioredis options, or an ioredis Redis or Cluster instance (which the bus leaves open). */
  redis: RedisConnectionOption
  /** Prefix of every channel and key (default 'fastify-realtime'); every node and emitter of a cluster uses the same one. */
  prefix?: string
  /** Milliseconds between a node's announcements in the node registry (default 5000). */
  nodeHeartbeatInterval?: number
  /** Milliseconds after its last announcement a silent node counts as gone (default three intervals). */
  nodeTtl?: number
}

/**
 * A bus over Redis pub/sub. Two connections: the command connection (the app's, or one the bus
 * creates with auto-pipelining) publishes and keeps the node registry; the subscriber connection,
 * always the bus's own, receives. A node subscribes to the broadcast channel, its own node channel,
 * and each room channel only while the room has a local member, so a room's traffic reaches only
 * the nodes that have its members. On a Redis Cluster every channel is a shard channel
 * (SPUBLISH/SSUBSCRIBE).
 *
 * On a single Redis, emits to one room go through SoleSubscriberSkip, the bus's one optimisation:
 * a node does not publish them while it is the room's only subscriber.
 *
 * Delivery is at-most-once: ioredis reconnects and resubscribes on its own after an outage or a
 * killed connection, but what was published meanwhile is gone. Publishes while the command
 * connection is down resolve false at once; the outage is logged once and shows in `status()`.
 */
export class RedisBus implements Bus {
  private readonly channels: RedisChannels
  private readonly publisher: RedisPublisher
  private readonly history: RedisHistory
  private readonly subscriber: RedisClient
  private readonly ownsPublisher: boolean
  private readonly sharded: boolean
  private readonly heartbeatInterval: number
  private readonly nodeTtl: number
  private node: BusNode | undefined
  private health: RedisHealth | undefined
  private registry: NodeRegistry | undefined
  /** Only on a single Redis (see SoleSubscriberSkip). */
  private skip: SoleSubscriberSkip | undefined
  /** Rooms this node should receive, whatever the connection's state: re-asserted after every reconnect. */
  private readonly rooms = new Set<Room>()
  /** False from the subscriber dropping until everything is subscribed again. */
  private subscriptionsInPlace = false
  /** Counts the subscriber connection's ups and downs. */
  private subscriberConnection = 0
  private closed = false
  private readonly detach: Array<() => void> = []

  constructor (options: RedisBusOptions) {
    if (typeof options !== 'object' || options === null) throw invalidOption('options', 'an object with a "redis" option')
    const redis = checkRedisOption('redis', options.redis)
    this.channels = new RedisChannels(resolvePrefix('prefix', options.prefix))
    this.heartbeatInterval = positiveInteger('nodeHeartbeatInterval', options.nodeHeartbeatInterval, DEFAULT_NODE_HEARTBEAT_INTERVAL)
    this.nodeTtl = positiveInteger('nodeTtl', options.nodeTtl, 3 * this.heartbeatInterval)
    if (this.nodeTtl <= this.heartbeatInterval) throw invalidOption('nodeTtl', 'longer than nodeHeartbeatInterval')
    const { client, owned } = openCommandConnection(redis)
    this.publisher = new RedisPublisher(client, this.channels)
    this.history = new RedisHistory(client, this.channels)
    this.ownsPublisher = owned
    this.sharded = isCluster(client)
    this.subscriber = openSubscriberConnection(client)
  }

  async attach (node: BusNode): Promise<void> {
    this.node = node
    const health = this.health = new RedisHealth(node.log)
    this.registry = new NodeRegistry(this.publisher.client, this.channels.nodeRegistry, node.id, this.heartbeatInterval, this.nodeTtl)
    if (!this.sharded) {
      const subscriber = this.subscriber as Redis
      this.skip = new SoleSubscriberSkip({
        publisher: this.publisher,
        channels: this.channels,
        nodeId: node.id,
        subscribeTimeout: node.subscribeTimeout,
        probe: async () => await subscriber.ping(),
        isSubscribed: (room) => this.rooms.has(room),
        subscriptionsInPlace: () => this.subscriptionsInPlace
      })
    }
    this.listen(this.subscriber, this.sharded ? 'smessage' : 'message', (channel: string, message: string) => this.receive(channel, message))
    startConnecting(this.publisher.client)
    startConnecting(this.subscriber)
    try {
      await Promise.all([whenReady(this.publisher.client), whenReady(this.subscriber)])
    } catch (err) {
      throw new RealtimeConfigError('FST_REALTIME_REDIS_UNAVAILABLE', `fastify-realtime: cannot reach Redis (${(err as Error).message})`, { cause: err })
    }
    await this.subscribeChannels([this.channels.broadcast, this.channels.node(node.id)])
    this.subscriptionsInPlace = true
    health.up()
    this.registry.start()
    this.watchConnections(health)
  }

  publish (envelope: RoutedEnvelope): Promise<boolean> {
    // Only an emit to one room may be skipped; every other envelope goes to every node (routingRoom).
    const room = routingRoom(envelope)
    const published = room !== undefined && envelope.type === 'emit' && this.skip !== undefined
      ? this.skip.publish(room, envelope)
      : this.publisher.publish(envelope)
    return this.counted(published)
  }

  appendToHistory (room: Room, envelope: EmitEnvelope): Promise<StreamStamp | undefined> {
    const limits = this.node?.history
    if (limits === undefined) return Promise.resolve(undefined)
    return this.history.append(room, envelope, limits).then((stamp) => {
      if (stamp === undefined) this.health?.publishFailed()
      return stamp
    })
  }

  canKeepHistory (room: Room): boolean {
    return this.history.canKeep(room)
  }

  readHistory (room: Room, after: number, limit: number, fence?: StreamPosition): Promise<HistoryRead | undefined> {
    return this.history.read(room, after, limit, fence)
  }

  async saveSession (id: string, value: string, ttl: number): Promise<boolean> {
    if (this.publisher.client.status !== 'ready') return false
    return await this.publisher.client.set(this.channels.session(id), value, 'PX', ttl).then(() => true, () => false)
  }

  async takeSession (id: string): Promise<string | undefined> {
    if (this.publisher.client.status !== 'ready') return undefined
    return await this.publisher.client.getdel(this.channels.session(id)).then((value) => value ?? undefined, () => undefined)
  }

  async sendToNode (node: NodeId, envelope: NodeEnvelope): Promise<boolean> {
    const receivers = await this.publisher.send(this.channels.node(node), envelope)
    if (receivers === undefined) this.health?.publishFailed()
    return receivers !== undefined && receivers > 0
  }

  async liveNodes (): Promise<NodeId[]> {
    const { registry, node } = this
    if (registry === undefined || node === undefined) return []
    return await registry.liveNodes().catch(() => [node.id])
  }

  subscribe (room: Room): Promise<void> {
    this.rooms.add(room)
    const subscribed = this.tracked(room, true, this.subscribeChannels([this.channels.room(room)]))
      .then(async () => await this.skip?.subscribed(room))
      .catch((err: unknown) => this.onSubscriptionError(err, room))
    // While disconnected nothing is received anyway, and the subscription is renewed on reconnect.
    return this.subscriber.status === 'ready' ? subscribed : Promise.resolve()
  }

  unsubscribe (room: Room): void {
    this.rooms.delete(room)
    const channel = this.channels.room(room)
    const done = this.sharded ? this.subscriber.sunsubscribe(channel) : this.subscriber.unsubscribe(channel)
    this.tracked(room, false, done).catch((err: unknown) => this.onSubscriptionError(err, room))
  }

  /**
   * Where presence keeps this node's members (the `presence` option): in this Redis, on the command
   * connection, with a dead node's members gone within 2 node heartbeat intervals.
   */
  presenceStore (): PresenceStore {
    return new RedisPresenceStore(this.publisher.client, this.channels, this.heartbeatInterval)
  }

  status (): BusStatus {
    return this.health?.status() ?? { connected: false, disconnectedSince: null, outages: 0, failedPublishes: 0 }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const undo of this.detach.splice(0)) undo()
    this.node = undefined
    this.skip?.stop()
    // The registry's ZREM is queued ahead of the command connection's QUIT; neither waits on a frozen Redis for long.
    await Promise.all([
      this.registry === undefined ? undefined : settleWithin(this.registry.stop(), CLOSE_TIMEOUT_MS),
      closeConnection(this.subscriber, CLOSE_TIMEOUT_MS),
      this.ownsPublisher ? closeConnection(this.publisher.client, CLOSE_TIMEOUT_MS) : undefined
    ])
  }

  private async subscribeChannels (channels: string[]): Promise<void> {
    if (!this.sharded) {
      await this.subscriber.subscribe(...channels)
      return
    }
    // Shard channels hash to different slots; each SSUBSCRIBE names one.
    await Promise.all(channels.map(async (channel) => await this.subscriber.ssubscribe(channel)))
  }

  /** A room's (un)subscription, which the optimisation follows. */
  private async tracked (room: Room, subscribing: boolean, change: Promise<unknown>): Promise<void> {
    await (this.skip === undefined ? change : this.skip.tracking(room, subscribing, change))
  }

  private receive (channel: string, message: string): void {
    const node = this.node
    if (node === undefined) return
    const stamp = readStamp(message)
    // A room's event this node delivered already (its own emit coming back, mostly) is not decoded at all.
    const room = stamp === undefined ? undefined : this.channels.roomOf(channel)
    if (stamp !== undefined && room !== undefined && node.delivered({ room, offset: stamp.offset, epoch: stamp.epoch })) return
    const decoded = decodeEnvelope(stamp === undefined ? message : stamp.rest)
    if (!decoded.ok) {
      node.log.debug({ reason: decoded.reason }, 'fastify-realtime: dropped a malformed bus message')
      return
    }
    const { envelope } = decoded
    if (envelope.type === 'subscribed' || envelope.type === 'subscribed-ack') {
      if (envelope.origin !== node.id) this.skip?.receive(envelope)
      return
    }
    // A stamped message is one room's copy of an emit (see RedisHistory): its stamp names that room.
    const stamped = stamp !== undefined && envelope.type === 'emit' && envelope.rooms.length === 1
      ? { room: envelope.rooms[0], offset: stamp.offset, epoch: stamp.epoch }
      : undefined
    try {
      node.listener(envelope, stamped)
    } catch (err) {
      // Thrown into ioredis's reply parser it would break the connection for every later message.
      node.log.error({ err }, 'fastify-realtime: failed to handle a bus message')
    }
  }

  /**
   * Follows both connections' ups and downs. After the subscriber reconnects, ioredis re-sends the
   * subscriptions it knows of, but not ones it gave up on while they were queued during a long
   * outage; so the bus subscribes again to everything it should receive (harmless for channels
   * already subscribed), and the reply says they are all in place. Once both connections are up,
   * the node announces itself at once (a restarted Redis has forgotten it).
   */
  private watchConnections (health: RedisHealth): void {
    const command = this.publisher.client
    this.listen(command, 'close', () => {
      this.skip?.connectionLost()
      health.down('command')
    })
    this.listen(command, 'ready', () => this.recovered(health))
    this.listen(this.subscriber, 'close', () => {
      this.subscriberConnection++
      this.subscriptionsInPlace = false
      this.skip?.connectionLost()
      health.down('subscriber')
    })
    this.listen(this.subscriber, 'ready', () => {
      const connection = ++this.subscriberConnection
      void this.resubscribe().then((ok) => {
        // The connection this resubscribed on has dropped since: its outcome says nothing of the next one.
        if (connection !== this.subscriberConnection) return
        this.subscriptionsInPlace = ok
        this.recovered(health)
        // What was published while the subscriber was away is in the room histories.
        if (ok) this.node?.resynced()
      })
    })
    for (const [client, name] of [[command, 'command'], [this.subscriber, 'subscriber']] as const) {
      // Reconnection attempts fail once per attempt; the outage itself is reported once, by `health`.
      this.listen(client, 'error', (err: Error) => this.node?.log.debug({ err, connection: name }, 'fastify-realtime: Redis connection error'))
    }
  }

  private recovered (health: RedisHealth): void {
    if (this.closed || !this.subscriptionsInPlace || this.publisher.client.status !== 'ready' || this.subscriber.status !== 'ready') return
    health.up()
    this.registry?.announce()
  }

  private async resubscribe (): Promise<boolean> {
    const node = this.node
    if (node === undefined) return false
    // Rooms joined from here on are subscribed and announced by their own `subscribe`.
    const rooms = [...this.rooms]
    try {
      await this.subscribeChannels([this.channels.broadcast, this.channels.node(node.id), ...rooms.map((room) => this.channels.room(room))])
    } catch {
      return false
    }
    // The bus counts as connected again once the optimisation is safe again.
    await this.skip?.resubscribed(rooms)
    return true
  }

  private listen<Args extends unknown[]> (client: RedisClient, event: string, handler: (...args: Args) => void): void {
    client.on(event, handler)
    this.detach.push(() => client.off(event, handler))
  }

  private async counted (published: Promise<boolean>): Promise<boolean> {
    const ok = await published
    if (!ok) this.health?.publishFailed()
    return ok
  }

  private onSubscriptionError (err: unknown, room: Room): void {
    if (!this.closed) this.node?.log.debug({ err, room }, 'fastify-realtime: a Redis (un)subscribe failed; it is retried when the connection comes back')
  }
}
