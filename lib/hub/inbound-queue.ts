/**
 * How a queue bounds what it keeps, so a callback that hangs (a `canJoin`, a handler) cannot grow it:
 * past its owner's `inboundLimit`, a request is refused instead of kept.
 */
export interface InboundBound<R> {
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

/**
 * A connection's place in its queue, kept on the connection itself: a queue object per connection
 * measured about 120 B more heap per idle ws connection on the bench. Only InboundQueue touches it.
 */
export interface InboundState<R> {
  /** Requests received from now on wait (a request in progress holds the queue, or setup). */
  inboundHeld: boolean
  /** What waits, in arrival order; undefined when nothing does, so an idle connection keeps no array. */
  inboundWaiting: R[] | undefined
  /** What the requests counted against the bound weigh now. */
  inboundWeight: number
}

/** The connection a request comes from. */
export interface InboundOwner<R> extends InboundState<R> {
  /** The bound, in `sizeOf` units (a getter on the prototype, say: nothing per connection). */
  readonly inboundLimit: number
  /** False from the moment the server decides to close the connection: nothing more runs. */
  readonly isOpen: boolean
  /** Handles a request whose turn has come; returns its handling when that is not over yet. */
  handle: (request: R) => Handling | undefined
  /** Answers a request the bound has no room for (RATE_LIMITED on both transports). */
  refuseExcess: (request: R) => void
}

/**
 * The in-order inbound queue of both transports, one per transport and shared by its connections: a
 * connection's requests run in arrival order, one that holds the queue (or `hold()`, while the
 * connection is set up) makes the later ones wait, the bound refuses the excess, and nothing runs
 * once the connection is closing. Requests run at once (synchronously) while nothing holds the
 * queue. An idle connection keeps no array and no promise (the bench measures heap per idle
 * connection).
 */
export class InboundQueue<R> {
  private readonly bound: InboundBound<R>

  constructor (bound: InboundBound<R>) {
    this.bound = bound
  }

  /** Takes a request: runs it now, keeps it until the queue is released, or refuses it past the bound. */
  push (owner: InboundOwner<R>, request: R): void {
    if (!owner.isOpen) return
    const size = this.bound.sizeOf(request)
    if (owner.inboundWeight + size > owner.inboundLimit) {
      owner.refuseExcess(request)
      return
    }
    owner.inboundWeight += size
    if (owner.inboundHeld) (owner.inboundWaiting ??= []).push(request)
    else this.run(owner, request, size)
  }

  /** Makes the requests `owner` sends from now on wait until `release()`. */
  hold (owner: InboundOwner<R>): void {
    owner.inboundHeld = true
  }

  /** Runs what waited, in order, up to the next request that holds the queue. */
  release (owner: InboundOwner<R>): void {
    owner.inboundHeld = false
    while (!owner.inboundHeld && owner.inboundWaiting !== undefined) {
      if (!owner.isOpen) {
        this.discard(owner)
        return
      }
      const next = owner.inboundWaiting.shift() as R
      if (owner.inboundWaiting.length === 0) owner.inboundWaiting = undefined
      this.run(owner, next, this.bound.sizeOf(next))
    }
  }

  /** Forgets what waits: the connection is closing. */
  discard (owner: InboundOwner<R>): void {
    owner.inboundWaiting = undefined
    owner.inboundWeight = 0
  }

  private run (owner: InboundOwner<R>, request: R, size: number): void {
    if (this.bound.countsUntil === 'started') owner.inboundWeight -= size
    const handling = owner.handle(request)
    if (this.bound.countsUntil === 'done') {
      if (handling === undefined) owner.inboundWeight -= size
      else void handling.done.finally(() => { owner.inboundWeight = Math.max(0, owner.inboundWeight - size) })
    }
    if (handling?.holdsQueue === true) {
      owner.inboundHeld = true
      void handling.done.finally(() => { this.release(owner) })
    }
  }
}
