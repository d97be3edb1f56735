/** A budget of requests (or frames) per fixed window, for a handshake throttle or one connection. */
export interface RateLimit {
  /** Requests (or frames) allowed per window. */
  max: number
  /** Window length in milliseconds. */
  timeWindow: number
}
