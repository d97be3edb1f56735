import type { FrameId } from '../protocol/frames'
import { RealtimeClientError } from './errors'
import type { Timers } from './timers'

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: unknown
}

/**
 * Requests waiting for the server's `ack`, `error` or `pong`, by frame id. Each one settles exactly
 * once: with the answer, with `TIMEOUT`, or with whatever `rejectAll` is given on disconnect.
 * An answer that arrives after its request timed out is ignored.
 */
export class PendingRequests {
  private readonly pending = new Map<FrameId, Pending>()
  private readonly timers: Timers
  private readonly timeoutMs: number
  private lastId = 0

  constructor (timers: Timers, timeoutMs: number) {
    this.timers = timers
    this.timeoutMs = timeoutMs
  }

  nextId (): number {
    return ++this.lastId
  }

  /** Waits for the answer to the frame sent with `id`; `what` names the request in a timeout message. */
  track (id: FrameId, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(id)
        reject(new RealtimeClientError('TIMEOUT', `No answer to ${what} within ${this.timeoutMs} ms`))
      }, this.timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
    })
  }

  /** Settles the request with `id`; false if there is none (unknown, or already timed out). */
  resolve (id: FrameId, value: unknown): boolean {
    const entry = this.take(id)
    entry?.resolve(value)
    return entry !== undefined
  }

  reject (id: FrameId, error: Error): boolean {
    const entry = this.take(id)
    entry?.reject(error)
    return entry !== undefined
  }

  rejectAll (error: Error): void {
    for (const id of [...this.pending.keys()]) this.reject(id, error)
  }

  private take (id: FrameId): Pending | undefined {
    const entry = this.pending.get(id)
    if (entry === undefined) return undefined
    this.pending.delete(id)
    this.timers.clearTimeout(entry.timer)
    return entry
  }
}
