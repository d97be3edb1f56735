import type { FastifyBaseLogger } from 'fastify'
import type { BusStatus } from './bus'

/**
 * Whether the Redis bus reaches the other nodes, told once per outage: a warning when the first
 * of its connections drops, an info line when both are back (and resubscribed), and nothing in
 * between however many reconnection attempts fail or publishes are refused. The counters make the
 * gap visible to metrics.
 */
export class RedisHealth {
  private readonly log: FastifyBaseLogger
  private readonly now: () => number
  private connected = false
  private disconnectedSince: number | null = null
  private outages = 0
  private failedPublishes = 0

  constructor (log: FastifyBaseLogger, now: () => number = Date.now) {
    this.log = log
    this.now = now
  }

  get isConnected (): boolean {
    return this.connected
  }

  /** Both connections are up and every subscription is in place again. */
  up (): void {
    if (this.connected) return
    this.connected = true
    if (this.disconnectedSince === null) return
    const downtimeMs = this.now() - this.disconnectedSince
    this.disconnectedSince = null
    this.log.info({ downtimeMs, failedPublishes: this.failedPublishes },
      'fastify-realtime: Redis connection restored; cross-node delivery resumed (messages published meanwhile are lost: Redis pub/sub is at-most-once)')
  }

  /** One of the connections dropped; `connection` says which. */
  down (connection: string, err?: Error): void {
    if (!this.connected) {
      this.log.debug({ connection, err }, 'fastify-realtime: Redis still unreachable')
      return
    }
    this.connected = false
    this.disconnectedSince = this.now()
    this.outages++
    this.log.warn({ connection, err },
      'fastify-realtime: lost the Redis connection; emits reach this node\'s clients only until it is back')
  }

  publishFailed (): void {
    this.failedPublishes++
  }

  status (): BusStatus {
    return { connected: this.connected, disconnectedSince: this.disconnectedSince, outages: this.outages, failedPublishes: this.failedPublishes }
  }
}
