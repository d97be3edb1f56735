/**
 * `fastify-realtime/emitter`: emit to the clients of a fastify-realtime cluster from any process
 * with Redis access (a queue worker, a cron job), with no Fastify and no clients of its own.
 *
 *   const emitter = createEmitter({ redis: process.env.REDIS_URL })
 *   await emitter.toUser(42).emit('notification:new', { text: 'Shipped' })
 */
import { randomUUID } from 'node:crypto'
import type { EmitTarget, RoutedEnvelope, Selection } from './bus/envelope'
import { RedisChannels, resolvePrefix } from './bus/redis-channels'
import { checkRedisOption, closeConnection, openCommandConnection, startConnecting, whenReady, type RedisConnectionOption } from './bus/redis-connections'
import { RedisHistory } from './bus/redis-history'
import { RedisPublisher } from './bus/redis-publisher'
import { invalidOption } from './errors'
import { BroadcastOperator, userTarget, type BroadcastSink, type RoomChange } from './hub/broadcast-operator'
import type { ServerToClientEvents } from './index'
import { encodeData } from './protocol/codec'
import { historyCopies } from './recovery/history-copies'
import { keepsHistory, resolveRecovery, type RecoveryOptions, type ResolvedRecovery } from './recovery/recovery-options'
import type { DataArgs, DeclaredOrDefault, EventNames, EventsMap } from './typed-events'
import type { Room } from './types'

const CLOSE_TIMEOUT_MS = 1_000

export interface EmitterOptions {
  /**
   * A Redis URL, ioredis options, or an ioredis Redis or Cluster instance (which `close()` leaves
   * open). Typed to take `process.env.REDIS_URL` as it is: an unset one is refused, naming `redis`.
   */
  redis: RedisConnectionOption | undefined
  /** The cluster's `redisPrefix` (default 'fastify-realtime'). */
  prefix?: string
  /**
   * The cluster's `recovery` option (the same object serves both): emits to rooms with history are
   * stored in them, so clients that were away get them too.
   */
  recovery?: RecoveryOptions | boolean
}

/**
 * Selects and acts on clients on every node, as `app.realtime` does. Every action resolves true
 * once Redis took it and false when it could not (Redis unreachable); none rejects. Events are
 * typed by the app's `ServerToClientEvents` (declared on 'fastify-realtime'), as `app.realtime`'s are.
 */
export interface Emitter<ServerEvents extends EventsMap = DeclaredOrDefault<ServerToClientEvents>> {
  /** Sends an event to every client on every node. */
  emit<E extends EventNames<ServerEvents>> (event: E, ...args: DataArgs<ServerEvents, E>): Promise<boolean>
  to (rooms: Room | readonly Room[]): BroadcastOperator<ServerEvents>
  in (rooms: Room | readonly Room[]): BroadcastOperator<ServerEvents>
  except (rooms: Room | readonly Room[]): BroadcastOperator<ServerEvents>
  /** Every connection of one user; their `event` frames carry no `room`. */
  toUser (userId: string | number): BroadcastOperator<ServerEvents>
  /** Closes the Redis connection if the emitter created it. */
  close (): Promise<void>
}

export function createEmitter<ServerEvents extends EventsMap = DeclaredOrDefault<ServerToClientEvents>> (options: EmitterOptions): Emitter<ServerEvents> {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'an object with a "redis" option')
  if (options.redis === undefined) throw invalidOption('redis', 'set (a Redis URL, ioredis options or an ioredis instance): is REDIS_URL unset?')
  const channels = new RedisChannels(resolvePrefix('prefix', options.prefix))
  const recovery = resolveRecovery(options.recovery)
  const { client, owned } = openCommandConnection(checkRedisOption('redis', options.redis))
  // Without this listener ioredis would print every failed reconnection attempt; emit() reports them as false.
  const ignoreError = (): void => {}
  client.on('error', ignoreError)
  const history = recovery === false ? undefined : { store: new RedisHistory(client, channels), recovery }
  const sink = new EmitterSink(new RedisPublisher(client, channels), whenReady(client).then(() => true, () => false), history)
  startConnecting(client)
  const everyone = new BroadcastOperator<ServerEvents>(sink)
  return {
    emit: (event, ...args) => everyone.emit(event, ...args),
    to: (rooms) => everyone.to(rooms),
    in: (rooms) => everyone.in(rooms),
    except: (rooms) => everyone.except(rooms),
    toUser: (userId) => new BroadcastOperator<ServerEvents>(sink, userTarget(userId)),
    close: async () => {
      client.off('error', ignoreError)
      if (owned) await closeConnection(client, CLOSE_TIMEOUT_MS)
    }
  }
}

/** Turns an emitter's actions into envelopes from an origin no node shares, so every node applies them. */
class EmitterSink implements BroadcastSink {
  private readonly origin = `emitter:${randomUUID()}`
  private readonly publisher: RedisPublisher
  /** Settles with the first connection attempt: until then a publish waits rather than failing. */
  private readonly firstConnection: Promise<boolean>
  private readonly history: { store: RedisHistory, recovery: ResolvedRecovery } | undefined

  constructor (publisher: RedisPublisher, firstConnection: Promise<boolean>, history: EmitterSink['history']) {
    this.publisher = publisher
    this.firstConnection = firstConnection
    this.history = history
  }

  emit (target: EmitTarget, event: string, data: unknown): Promise<boolean> {
    const dataJson = encodeData(data)
    const history = this.history
    if (history !== undefined && target.rooms.some((room) => this.keeps(history, room))) return this.emitThroughHistory(history, target, event, dataJson)
    const { rooms, except, omitRoom } = target
    return this.send({ type: 'emit', origin: this.origin, event, dataJson, rooms, except, omitRoom })
  }

  /** As the nodes do it (see Hub): one copy stored per room with history, the rest published as before. */
  private async emitThroughHistory (history: NonNullable<EmitterSink['history']>, target: EmitTarget, event: string, dataJson: string): Promise<boolean> {
    await this.firstConnection
    const { copies, rest } = historyCopies(target, (room) => this.keeps(history, room))
    const limits = { size: history.recovery.historySize, ttl: history.recovery.historyTtl }
    const sent = copies.map(async ({ room, target: copy }) => {
      const envelope = { type: 'emit' as const, origin: this.origin, event, dataJson, rooms: copy.rooms, except: copy.except, omitRoom: copy.omitRoom }
      return await history.store.append(room, envelope, limits) !== undefined
    })
    if (rest !== undefined) sent.push(this.send({ type: 'emit', origin: this.origin, event, dataJson, rooms: rest.rooms, except: rest.except, omitRoom: rest.omitRoom }))
    return (await Promise.all(sent)).every(Boolean)
  }

  private keeps (history: NonNullable<EmitterSink['history']>, room: Room): boolean {
    return keepsHistory(history.recovery, room, (name) => history.store.canKeep(name))
  }

  changeRooms (selection: Selection, change: RoomChange, targetRooms: readonly Room[]): Promise<boolean> {
    return this.send({ type: change, origin: this.origin, rooms: selection.rooms, except: selection.except, targetRooms })
  }

  disconnect (selection: Selection): Promise<boolean> {
    return this.send({ type: 'disconnect', origin: this.origin, rooms: selection.rooms, except: selection.except })
  }

  private async send (envelope: RoutedEnvelope): Promise<boolean> {
    await this.firstConnection
    return await this.publisher.publish(envelope)
  }
}
