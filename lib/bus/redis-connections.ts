import Redis, { type Cluster, type RedisOptions } from 'ioredis'
import { invalidOption } from '../errors'
import { settleWithin } from '../settle-within'

/** A connection the plugin or the emitter can use: a single Redis or a Redis Cluster. */
export type RedisClient = Redis | Cluster

/** How an app points the plugin (or an emitter) at Redis. */
export type RedisConnectionOption = string | RedisOptions | RedisClient

/** The longest pause between reconnection attempts, so delivery resumes within about a second of Redis coming back. */
const MAX_RECONNECT_DELAY = 1_000

/** Options for the connections the plugin creates itself; the app's own settings win. */
const OWN_CONNECTION_DEFAULTS: RedisOptions = {
  // Publishes issued in one event-loop turn go to Redis in one write.
  enableAutoPipelining: true,
  // Connected by `startConnecting`, once the owner is actually used.
  lazyConnect: true,
  retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY),
  // A publish in flight when the connection drops is re-sent if Redis is back at once, and
  // otherwise reported as not sent within a few hundred milliseconds (not after ioredis' default of
  // twenty attempts, some fifteen seconds). Nothing is queued while disconnected in the first place.
  maxRetriesPerRequest: 1
}

/** The connection to publish and run commands on, and whether the plugin created it (and so closes it). */
interface CommandConnection {
  readonly client: RedisClient
  readonly owned: boolean
}

function isRedisClient (value: unknown): value is RedisClient {
  return typeof value === 'object' && value !== null &&
    typeof (value as Partial<Redis>).duplicate === 'function' && typeof (value as Partial<Redis>).publish === 'function'
}

export function isCluster (client: RedisClient): client is Cluster {
  return (client as Partial<Cluster>).isCluster === true
}

/** Checks a `redis` option at register time (whether Redis answers is checked when the bus starts). */
export function checkRedisOption (name: string, value: unknown): RedisConnectionOption {
  if ((typeof value === 'string' && value.length > 0) || (typeof value === 'object' && value !== null && !Array.isArray(value))) {
    return value as RedisConnectionOption
  }
  throw invalidOption(name, 'a Redis URL, ioredis options, or an ioredis Redis or Cluster instance')
}

/** Uses the app's connection as it is, or creates one from a URL or options. */
export function openCommandConnection (option: RedisConnectionOption): CommandConnection {
  if (isRedisClient(option)) return { client: option, owned: false }
  const client = typeof option === 'string'
    ? new Redis(option, OWN_CONNECTION_DEFAULTS)
    : new Redis({ ...OWN_CONNECTION_DEFAULTS, ...option })
  return { client, owned: true }
}

/**
 * A second connection, always the plugin's own, for subscribing (a connection in subscriber mode
 * runs no other command). It reconnects on the plugin's schedule whatever the app's connection
 * does. For a Cluster it subscribes per shard (SSUBSCRIBE), with one connection to each master.
 */
export function openSubscriberConnection (client: RedisClient): RedisClient {
  return isCluster(client)
    ? client.duplicate([], { shardedSubscribers: true, lazyConnect: true })
    : client.duplicate({ enableAutoPipelining: false, lazyConnect: true, retryStrategy: OWN_CONNECTION_DEFAULTS.retryStrategy })
}

/** Starts connecting a connection that has not tried yet; outcomes arrive as 'ready' or 'error' events. */
export function startConnecting (client: RedisClient): void {
  if (client.status === 'wait') client.connect().catch(() => { /* reported through the 'error' event */ })
}

/** Resolves once the connection is ready; rejects with the first connection error before that. */
export function whenReady (client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      client.off('ready', onReady)
      client.off('error', onError)
      client.off('end', onEnd)
      if (err === undefined) resolve()
      else reject(err)
    }
    const onReady = (): void => settle()
    const onError = (err: Error): void => settle(err)
    const onEnd = (): void => settle(new Error('Redis connection ended'))
    client.on('ready', onReady)
    client.on('error', onError)
    client.on('end', onEnd)
  })
}

/**
 * Ends a connection: gracefully (QUIT, so queued publishes go out) when it is up, at once when it
 * is not, and at once anyway if Redis does not answer within `timeoutMs` (a frozen server must not
 * hold up the app's shutdown).
 */
export async function closeConnection (client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return
  if (client.status !== 'ready') {
    client.disconnect()
    return
  }
  await settleWithin(client.quit(), timeoutMs)
  client.disconnect()
}
