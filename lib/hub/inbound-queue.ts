/**
 * How a queue bounds what it keeps, so a callback that hangs (a `canJoin`, a handler) cannot grow it:
 * past `limit`, a request is refused instead of kept.
 */
export interface InboundBound<R> {
  readonly limit: number
  /** What a request weighs against the limit: its bytes (ws frames), or 1 (Socket.IO requests). */
  readonly sizeOf: (request: R) => number
  /**
   * 'started': a request counts while it waits (ws, whose frames wait as bytes). 'done': until its
   * handling has settled (Socket.IO, whose every handler in flight holds a payload of up to
   * maxHttpBufferSize).
   */
  readonly countsUntil: 'started' | 'done'
}

/** What handling a request left to do, when it is not over once `handle` returns. */
export interface Handling {
  /** Settles, never rejects, once the request is done. */
  readonly done: Promise<void>
  /** Whether the requests after it wait for it (a join, a token refresh). */
  readonly holdsQueue: boolean
}

/** The connection a queue belongs to. */
export interface InboundOwner<R> {
  /** False from the moment the server decides to close the connection: nothing more runs. */
  readonly isOpen: boolean
  /** Handles a request whose turn has come; returns its handling when that is not over yet. */
  handle: (request: R) => Handling | undefined
  /** Answers a request the bound has no room for (RATE_LIMITED on both transports). */
  refuseExcess: (request: R) => void
}

/**
 * One connection's inbound requests, for both transports: they run in arrival order, one that holds
 * the queue (or `hold()`, while the connection is set up) makes the later ones wait, a bound refuses
 * the excess, and nothing runs once the connection is closing. Requests run at once (synchronously)
 * while nothing holds the queue. An idle queue keeps no array and no promise: it is made for every
 * connection, and the bench measures the heap per idle connection.
 */
export class InboundQueue<R> {
  private readonly owner: InboundOwner<R>
  private readonly bound: InboundBound<R>
  private held: boolean
  private waiting: R[] | undefined
  /** What the requests counted against the bound weigh now. */
  private weight = 0

  constructor (owner: InboundOwner<R>, bound: InboundBound<R>, held = false) {
    this.owner = owner
    this.bound = bound
    this.held = held
  }

  /** Takes a request: runs it now, keeps it until the queue is released, or refuses it past the bound. */
  push (request: R): void {
    if (!this.owner.isOpen) return
    const size = this.bound.sizeOf(request)
    if (this.weight + size > this.bound.limit) {
      this.owner.refuseExcess(request)
      return
    }
    this.weight += size
    if (this.held) (this.waiting ??= []).push(request)
    else this.run(request, size)
  }

  /** Makes the requests received from now on wait until `release()`. */
  hold (): void {
    this.held = true
  }

  /** Runs what waited, in order, up to the next request that holds the queue. */
  release (): void {
    this.held = false
    while (!this.held && this.waiting !== undefined) {
      if (!this.owner.isOpen) {
        this.discard()
        return
      }
      const next = this.waiting.shift() as R
      if (this.waiting.length === 0) this.waiting = undefined
      this.run(next, this.bound.sizeOf(next))
    }
  }

  /** Forgets what waits: the connection is closing. */
  discard (): void {
    this.waiting = undefined
    this.weight = 0
  }

  private run (request: R, size: number): void {
    if (this.bound.countsUntil === 'started') this.weight -= size
    const handling = this.owner.handle(request)
    if (this.bound.countsUntil === 'done') {
      if (handling === undefined) this.weight -= size
      else void handling.done.finally(() => { this.weight = Math.max(0, this.weight - size) })
    }
    if (handling?.holdsQueue === true) {
      this.held = true
      void handling.done.finally(() => { this.release() })
    }
  }
}
