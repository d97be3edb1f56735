import { backoffDelay, type ReconnectPolicy } from './backoff'
import { isRecoverableClose, UNAUTHORIZED_CLOSE_CODE } from './close-codes'
import type { CloseDetails } from './errors'
import type { Timers } from './timers'

/**
 * The reconnection decisions: whether a close allows another attempt, when that attempt runs,
 * and whether a token may be used after the server refused one (4401). Counts attempts since
 * the last welcome; owns the one retry timer.
 */
export class Reconnector {
  private readonly policy: Readonly<ReconnectPolicy>
  private readonly hasTokenProvider: boolean
  private readonly random: () => number
  private readonly timers: Timers
  private attempts = 0
  private timer: unknown
  /** Set by a 4401 close: the next attempt needs a token other than this one. */
  private refusedToken: { token: string | undefined } | undefined

  constructor (policy: Readonly<ReconnectPolicy>, hasTokenProvider: boolean, random: () => number, timers: Timers) {
    this.policy = policy
    this.hasTokenProvider = hasTokenProvider
    this.random = random
    this.timers = timers
  }

  /** Attempts made since the last welcome (or since connecting began). */
  get attemptsMade (): number {
    return this.attempts
  }

  /** Records a close of the connection that used `token`; true when another attempt is allowed. */
  closed (close: CloseDetails, token: string | undefined): boolean {
    if (close.code === UNAUTHORIZED_CLOSE_CODE) this.refusedToken = { token }
    return isRecoverableClose(close.code, this.hasTokenProvider) && this.attempts < this.policy.maxAttempts
  }

  /** False for the very token the server refused with 4401: asking again would only be refused again. */
  accepts (token: string | undefined): boolean {
    return this.refusedToken === undefined || this.refusedToken.token !== token
  }

  /** Schedules the next attempt after a backoff delay; returns its number and delay. */
  schedule (attempt: () => void): { attempt: number, delay: number } {
    this.attempts++
    const delay = backoffDelay(this.attempts, this.policy, this.random)
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined
      attempt()
    }, delay)
    return { attempt: this.attempts, delay }
  }

  /** A welcome ends the count and any token refusal; returns the attempts it took. */
  welcomed (): number {
    return this.reset()
  }

  /** Cancels a scheduled attempt and starts over; returns the attempts made. */
  reset (): number {
    const attempts = this.attempts
    this.timers.clearTimeout(this.timer)
    this.timer = undefined
    this.attempts = 0
    this.refusedToken = undefined
    return attempts
  }
}
