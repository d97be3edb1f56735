import type { RateLimit } from './rate-limit'

/**
 * A fixed-window hit counter for one connection. The limit object is shared by all connections,
 * so each connection carries only two numbers.
 */
export class WindowCounter {
  private readonly limit: RateLimit
  private windowStart = 0
  private hits = 0

  constructor (limit: RateLimit) {
    this.limit = limit
  }

  /** Counts one hit and returns how far over the limit the current window is (0 while within it). */
  hit (now: number): number {
    if (now - this.windowStart >= this.limit.timeWindow) {
      this.windowStart = now
      this.hits = 0
    }
    this.hits++
    return Math.max(0, this.hits - this.limit.max)
  }

  get max (): number {
    return this.limit.max
  }
}
