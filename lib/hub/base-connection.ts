import type { Selection } from '../bus/envelope'
import { CLOSE_CODES, RealtimeError, invalidArgument } from '../errors'
import { encodeData } from '../protocol/codec'
import { isServerEventName, SERVER_EVENT_NAME_RULE } from '../protocol/names'
import { MAX_TIMER_DELAY } from '../protocol/timer-bounds'
import type { RateLimit } from '../throttle/rate-limit'
import { WindowCounter } from '../throttle/window-counter'
import type { ConnectionId, Identity, RealtimeUser, Room, TransportName } from '../types'
import { BroadcastOperator } from './broadcast-operator'
import type { Connection, Membership } from './connection'
import { expiryTimers, type ExpiryListener } from './expiry-timers'
import { OutboundEvent } from './outbound-event'

const BAD_REQUEST_WINDOW_MS = 60_000

/** The client API and token expiry, written once for both transports; they add delivery and closing. */
export abstract class BaseConnection implements Connection, ExpiryListener {
  readonly id: ConnectionId
  readonly rooms = new Set<Room>()
  abstract readonly transport: TransportName
  protected readonly membership: Membership
  private identity: Identity
  // Both counters are made on first use: most connections only listen, and a counter's window
  // starts at its first hit anyway.
  private messages: WindowCounter | undefined
  private badRequests: WindowCounter | undefined

  constructor (id: ConnectionId, identity: Identity, membership: Membership) {
    this.id = id
    this.identity = identity
    this.membership = membership
  }

  /**
   * Counts a malformed request. Past `maxBadRequests` in a minute it closes the connection with 4400
   * and returns true; the caller then answers nothing more.
   */
  protected closedForBadRequests (maxBadRequests: number, reason: string): boolean {
    this.badRequests ??= new WindowCounter({ max: maxBadRequests, timeWindow: BAD_REQUEST_WINDOW_MS })
    if (this.badRequests.hit(Date.now()) === 0) return false
    this.close(CLOSE_CODES.REPEATED_BAD_FRAMES, reason)
    return true
  }

  /**
   * Counts one inbound message against `messageRateLimit`: 'within' the limit, 'over' it (the caller
   * drops the message and answers RATE_LIMITED), or 'closed' with 4429 once past twice the limit.
   * A message that arrives after the token expired closes the connection with 4401 ('closed') even
   * if the expiry timer has not fired yet: nothing is handled under an expired token.
   */
  protected countMessage (messageRateLimit: RateLimit | false): 'within' | 'over' | 'closed' {
    if (this.tokenExpired()) {
      this.close(CLOSE_CODES.UNAUTHORIZED, 'token expired')
      return 'closed'
    }
    if (messageRateLimit === false) return 'within'
    this.messages ??= new WindowCounter(messageRateLimit)
    const overLimit = this.messages.hit(Date.now())
    if (overLimit === 0) return 'within'
    if (overLimit <= this.messages.max) return 'over'
    this.close(CLOSE_CODES.FLOODING, 'message rate limit exceeded repeatedly')
    return 'closed'
  }

  /** Never changes: a refresh must carry the same user (see refreshIdentity). */
  get userId (): string | null {
    return this.identity.userId
  }

  get user (): RealtimeUser | null {
    return this.identity.user
  }

  /**
   * Extends the session with a fresh token of the same user: its claims replace the old ones and the
   * expiry moves. A token of another user (or any token on an anonymous connection) is FORBIDDEN:
   * a connection never changes who it is, because its rooms were granted to that user.
   */
  refreshIdentity (identity: Identity): void {
    if (identity.userId === null || identity.userId !== this.userId) {
      throw new RealtimeError('FORBIDDEN', 'The token belongs to another user')
    }
    // Disarmed first: the expiry is registered under the old identity's instant.
    this.disarmExpiry()
    this.identity = identity
    // A client that left while its token was being verified gets no timer, which would keep the
    // closed connection alive until the new token's expiry.
    if (this.isOpen) this.armExpiry()
  }

  tokenExpired (): boolean {
    const { expiresAt } = this.identity
    return expiresAt !== null && expiresAt <= Date.now()
  }

  /** Closes the connection with 4401 when its token expires. Transports call it once the client is admitted. */
  protected armExpiry (): void {
    const expiresAt = this.identity.expiresAt
    if (expiresAt === null) return
    if (this.tokenExpired()) {
      this.close(CLOSE_CODES.UNAUTHORIZED, 'token expired')
      return
    }
    // Longer token lifetimes are re-armed in steps.
    expiryTimers.add(this, expiresAt, Math.min(expiresAt - Date.now(), MAX_TIMER_DELAY))
  }

  /** Transports call it when the connection has closed. */
  protected disarmExpiry (): void {
    if (this.identity.expiresAt !== null) expiryTimers.remove(this, this.identity.expiresAt)
  }

  /** The expiry timers call it when the instant armed for has come (or a longest-possible wait is over). */
  expiryDue (): void {
    this.armExpiry()
  }

  /** Whether the client is still connected (its close has not begun). */
  abstract get isOpen (): boolean
  abstract deliver (message: OutboundEvent): void
  abstract close (code: number, reason: string): void
  abstract terminate (): void
  abstract onHeartbeat (): void
  abstract disconnect (): void

  join (room: Room): void {
    this.membership.join(this, room)
  }

  leave (room: Room): void {
    this.membership.leave(this, room)
  }

  emit (event: string, data?: unknown): void {
    if (!isServerEventName(event)) throw invalidArgument('event', SERVER_EVENT_NAME_RULE)
    this.deliver(new OutboundEvent(event, encodeData(data), undefined))
  }

  /**
   * A relay from this client: only to rooms it is in at the moment of the emit (or join, leave,
   * disconnect), never to an empty selection (which would mean everyone). Handlers usually relay
   * to a room the client named, so anything else is the client's FORBIDDEN, answered to it.
   */
  to (rooms: Room | readonly Room[]): BroadcastOperator {
    const relay = { rooms: [], except: [], exceptConnectionId: this.id, omitRoom: false }
    return new BroadcastOperator(this.membership, relay, (selection) => this.checkRelay(selection)).to(rooms)
  }

  private checkRelay (selection: Selection): void {
    if (selection.rooms.length === 0) throw new RealtimeError('FORBIDDEN', 'A relay must name at least one room the client is in')
    if (!selection.rooms.every((room) => this.rooms.has(room))) throw new RealtimeError('FORBIDDEN', 'A client can only relay to rooms it is in')
  }
}
