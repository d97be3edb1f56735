import type { Timers } from '../../lib/client'

interface Scheduled {
  at: number
  callback: () => void
}

/** Timers that only fire when the test advances the clock, so backoff can be tested without sleeping. */
export class ManualTimers implements Timers {
  now = 0
  private readonly scheduled = new Map<number, Scheduled>()
  private lastHandle = 0

  readonly setTimeout = (callback: () => void, ms: number): number => {
    const handle = ++this.lastHandle
    this.scheduled.set(handle, { at: this.now + ms, callback })
    return handle
  }

  readonly clearTimeout = (handle: unknown): void => {
    this.scheduled.delete(handle as number)
  }

  /** Delays (from now) of the timers still pending. */
  pendingDelays (): number[] {
    return [...this.scheduled.values()].map((timer) => timer.at - this.now)
  }

  /** Moves the clock forward, firing due timers in time order. */
  advance (ms: number): void {
    const until = this.now + ms
    for (let fired = 0; fired < 10_000; fired++) {
      const due = [...this.scheduled.entries()].filter(([, timer]) => timer.at <= until).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.scheduled.delete(due[0])
      this.now = due[1].at
      due[1].callback()
    }
    this.now = until
  }
}
