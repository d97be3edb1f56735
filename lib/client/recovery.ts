import type { Room } from '../types'
import type { RecoveredEvent, WelcomePayload } from './events'
import { RoomPositions, type EventPosition, type StreamPosition } from './positions'
import { ackPosition } from './recovery-fields'
import { selectResume, withResume } from './resume-request'

/** What one connection attempt asked the server to resume. */
interface ResumeRequest {
  /** The rooms named in the URL, with the positions sent. */
  named: Map<Room, StreamPosition>
  /** Every room the client followed a stream of, named or not (beyond the request's bounds): each gets a `recovered` event once in again. */
  tracked: Set<Room>
  /** Rooms named, then left by the app before the welcome: the server joins them all the same. */
  left: Set<Room>
}

/**
 * Recovery of history rooms across reconnects, for a server with `recovery` on (with it off, no
 * position ever arrives and this does nothing). It keeps each room's last position, drops events
 * already delivered, names the rooms to resume in the next attempt's URL, and works out, once in
 * again, which rooms got their missed events and which the app must reload.
 */
export class Recovery {
  private readonly positions = new RoomPositions()
  /** The last welcome's rooms: the ones the server put the client in (`user:`, `autoJoin`) are resumed too. */
  private welcomeRooms: readonly Room[] = []
  private request: ResumeRequest | undefined
  /** Tracked rooms the new connection was not put in by its welcome: their re-join ack settles them. */
  private awaitingJoin = new Set<Room>()
  /** The current reconnect's outcome so far, for the `reconnect` event. */
  private outcome = roomRecord<boolean>()

  /**
   * The URL of the next attempt: `url` with the positions of the rooms to resume, those the app
   * joined (`joined`) and those the last welcome listed, as far as the client knows a position.
   */
  urlFor (url: string, joined: readonly Room[]): string {
    const candidates = new Set([...joined, ...this.welcomeRooms])
    const known = this.positions.recentFirst().filter(([room]) => candidates.has(room))
    const named = selectResume(known)
    this.request = { named, tracked: new Set(known.map(([room]) => room)), left: new Set() }
    return withResume(url, named)
  }

  /** An event at `position`: false when it was delivered already and must be dropped. */
  accept (position: EventPosition): boolean {
    return this.positions.advance(position)
  }

  /**
   * A new connection's welcome: its positions replace the known ones. Returns the `recovered`
   * events of the tracked rooms the server put the client in, and the rooms named in the
   * request that the app left meanwhile (the server joined them anyway: they must be left).
   */
  welcomed (welcome: WelcomePayload): { recovered: RecoveredEvent[], leave: Room[] } {
    const request = this.request
    this.request = undefined
    this.positions.replaceAll(welcome.positions ?? {})
    this.welcomeRooms = welcome.rooms
    this.awaitingJoin = new Set()
    this.outcome = roomRecord()
    const recovered: RecoveredEvent[] = []
    const leave: Room[] = []
    if (request === undefined) return { recovered, leave }
    const inWelcome = new Set(welcome.rooms)
    for (const room of request.tracked) {
      if (inWelcome.has(room)) recovered.push(this.settle(room, request.named.has(room) && welcome.resumed?.[room] === true))
      // Refused on resume, or not named: a join frame follows if the app joined it.
      else this.awaitingJoin.add(room)
    }
    for (const room of request.left) {
      if (!inWelcome.has(room)) continue
      leave.push(room)
      this.positions.forget(room)
    }
    return { recovered, leave }
  }

  /** A join's ack (`data`): adopts its position; returns the `recovered` event of a tracked room re-joined after a reconnect. */
  joined (room: Room, data: unknown): RecoveredEvent | undefined {
    const position = ackPosition(data)
    if (position !== undefined) this.positions.joined(room, position)
    // Events were missed between the connections, and nothing replays them.
    return this.awaitingJoin.delete(room) ? this.settle(room, false) : undefined
  }

  /** A `recovery:reset` notice: the server lost the room's stream; events after `position` follow. */
  reset (room: Room, position: StreamPosition): RecoveredEvent {
    this.positions.set(room, position)
    return { room, recovered: false, cause: 'reset', position }
  }

  /** The rooms settled since the last welcome, for the `reconnect` event. */
  get reconnectOutcome (): Record<Room, boolean> {
    return { ...this.outcome }
  }

  /** The client left `room` (or is leaving it): its position no longer counts, nor is it resumed by an attempt under way. */
  forget (room: Room): void {
    this.positions.forget(room)
    this.awaitingJoin.delete(room)
    const request = this.request
    if (request === undefined) return
    if (request.named.has(room)) request.left.add(room)
    request.tracked.delete(room)
  }

  forgetAll (): void {
    this.positions.forgetAll()
    this.welcomeRooms = []
    this.request = undefined
    this.awaitingJoin.clear()
    this.outcome = roomRecord()
  }

  private settle (room: Room, recovered: boolean): RecoveredEvent {
    this.outcome[room] = recovered
    return { room, recovered, cause: 'reconnect', position: this.positions.get(room) }
  }
}

/** Without a prototype, so that a room named `__proto__` is a key like any other. */
function roomRecord<T> (): Record<Room, T> {
  return Object.create(null) as Record<Room, T>
}
