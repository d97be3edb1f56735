/** When to try again after a failed or lost connection. */
export interface ReconnectPolicy {
  /** Upper bound of the first delay, in ms. */
  initialDelay: number
  /** Cap on the upper bound, in ms. */
  maxDelay: number
  /** Attempts after a disconnect (or a failed first connect) before giving up; default unlimited. */
  maxAttempts: number
}

/**
 * Exponential backoff with full jitter: attempt n (from 1) waits a uniformly random time in
 * [0, min(maxDelay, initialDelay × 2^(n-1))). The jitter spreads the clients of a restarted server
 * over the whole window instead of bringing them back in waves.
 */
export function backoffDelay (attempt: number, policy: Pick<ReconnectPolicy, 'initialDelay' | 'maxDelay'>, random: () => number): number {
  const ceiling = Math.min(policy.maxDelay, policy.initialDelay * 2 ** (attempt - 1))
  return Math.floor(random() * ceiling)
}
