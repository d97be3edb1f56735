import type { RedisClient } from './redis-connections'
import type { NodeId } from '../types'

export const DEFAULT_NODE_HEARTBEAT_INTERVAL = 5_000

/**
 * Which nodes are alive, kept in Redis as one sorted set (one key, so it works on a Cluster too):
 * each node adds itself every `intervalMs` with its expiry time as the score, and is alive until
 * that time passes. A node that stops (crash, freeze, partition) drops out after `ttlMs`; one that
 * closes cleanly removes itself at once. Nodes' clocks must agree to well within `ttlMs - intervalMs`.
 */
export class NodeRegistry {
  private readonly client: RedisClient
  private readonly key: string
  private readonly nodeId: NodeId
  private readonly intervalMs: number
  private readonly ttlMs: number
  private timer: NodeJS.Timeout | undefined

  constructor (client: RedisClient, key: string, nodeId: NodeId, intervalMs: number, ttlMs: number) {
    this.client = client
    this.key = key
    this.nodeId = nodeId
    this.intervalMs = intervalMs
    this.ttlMs = ttlMs
  }

  start (): void {
    this.announce()
    this.timer = setInterval(() => this.announce(), this.intervalMs)
    this.timer.unref()
  }

  /** Adds (or refreshes) this node and forgets expired ones. Skipped while Redis is unreachable. */
  announce (): void {
    if (this.client.status !== 'ready') return
    const now = Date.now()
    // Auto-pipelined with anything else issued in this turn. The key itself expires too, so a
    // cluster that is gone for good leaves nothing behind.
    this.client.zadd(this.key, now + this.ttlMs, this.nodeId).catch(ignore)
    this.client.zremrangebyscore(this.key, '-inf', now).catch(ignore)
    this.client.pexpire(this.key, this.ttlMs).catch(ignore)
  }

  /** Nodes whose announcement has not expired, this one always included. Rejects when Redis does. */
  async liveNodes (): Promise<NodeId[]> {
    if (this.client.status !== 'ready') return [this.nodeId]
    const nodes = await this.client.zrangebyscore(this.key, Date.now(), '+inf')
    return nodes.includes(this.nodeId) ? nodes : [...nodes, this.nodeId]
  }

  /** Stops announcing and removes this node, if Redis can be told. */
  async stop (): Promise<void> {
    clearInterval(this.timer)
    if (this.client.status === 'ready') await this.client.zrem(this.key, this.nodeId).catch(ignore)
  }
}

function ignore (): void {
  // A failed heartbeat is retried on the next tick; the outage itself is reported by RedisHealth.
}
