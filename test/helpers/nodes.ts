import type { FastifyServerOptions } from 'fastify'
import type { Cluster } from 'ioredis'
import type { Test } from 'tap'
import { MemoryBroker, type RealtimeOptions } from '../../lib/index'
import { startServer, type TestServer } from './app'
import type { RedisServer } from './redis-server'

/**
 * How the nodes of a test cluster share rooms, so one behavioural suite can run against every bus.
 * `subscribers(room)` says how many nodes receive the room's traffic, as the bus itself reports it.
 */
export interface ClusterKind {
  readonly name: string
  /** Options that make one more node of this cluster. */
  nodeOptions (t: Test): RealtimeOptions
  subscribers (room: string): Promise<number>
}

/** Apps in this process sharing one MemoryBroker. */
export function memoryCluster (): ClusterKind {
  const broker = new MemoryBroker()
  return {
    name: 'memory bus',
    nodeOptions (t) {
      const bus = broker.createBus()
      // The app leaves a bus it was given open; close it with the test.
      t.teardown(() => bus.close())
      return { bus }
    },
    async subscribers (room) {
      return [...broker.buses].filter((bus) => bus.subscribedRooms().has(room)).length
    }
  }
}

/** Apps talking through a real redis-server; subscribers are counted with PUBSUB NUMSUB. */
export function redisCluster (redis: RedisServer, prefix = 'fastify-realtime'): ClusterKind {
  return {
    name: 'redis bus',
    nodeOptions: () => ({ redis: redis.url, redisPrefix: prefix }),
    async subscribers (room) {
      const [count] = await redis.numsub(`${prefix}#room#${room}`)
      return count
    }
  }
}

/**
 * Apps talking through a Redis Cluster with sharded pub/sub; each node gets its own ioredis Cluster
 * client (closed with the test), and subscribers are counted with PUBSUB SHARDNUMSUB on the shard
 * that owns the room's channel.
 */
export function redisShardedCluster (shards: RedisServer[], connect: () => Cluster, prefix = 'fastify-realtime'): ClusterKind {
  return {
    name: 'redis cluster (sharded pub/sub)',
    nodeOptions (t) {
      const client = connect()
      t.teardown(() => client.disconnect())
      return { redis: client, redisPrefix: prefix }
    },
    async subscribers (room) {
      const channel = `${prefix}#room#${room}`
      let total = 0
      for (const shard of shards) {
        const reply = await shard.command('PUBSUB', 'SHARDNUMSUB', channel) as Array<string | number>
        total += Number(reply[1])
      }
      return total
    }
  }
}

/** Starts `count` nodes of one cluster on free ports of 127.0.0.1, each closed when the test ends. */
export async function startNodes (t: Test, kind: ClusterKind, count: number, options: RealtimeOptions = {}, fastifyOptions: FastifyServerOptions = {}): Promise<TestServer[]> {
  const nodes: TestServer[] = []
  for (let i = 0; i < count; i++) nodes.push(await startServer(t, { ...kind.nodeOptions(t), ...options }, fastifyOptions))
  return nodes
}
