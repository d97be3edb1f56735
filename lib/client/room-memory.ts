import type { FrameId } from '../protocol/frames'
import type { Room } from '../types'
import type { ClientErrorCode, RealtimeClientError } from './errors'
import type { ReconnectEvent } from './events'

/** Answers that refuse the room itself; after any other failure (`TIMEOUT`, `RATE_LIMITED`, `INTERNAL`) the room may well be joinable. */
const REFUSALS: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>(['FORBIDDEN', 'TOO_MANY_ROOMS', 'BAD_REQUEST'])

/**
 * The rooms this client joined with `join()` and has not left: the ones it re-joins after a
 * reconnect. Only the latest request for a room counts, so `join(a)` followed at once by
 * `leave(a)` leaves `a` forgotten whatever order the answers arrive in.
 */
export class RoomMemory {
  private readonly joined = new Set<Room>()
  private readonly latestRequest = new Map<Room, FrameId>()

  get rooms (): Room[] {
    return [...this.joined]
  }

  /** A join for `room` was sent as frame `id`; the room is remembered once the server agrees. */
  joinRequested (room: Room, id: FrameId): void {
    this.latestRequest.set(room, id)
  }

  /** A leave for `room` was sent as frame `id`. It counts at once: should the connection drop first, the room is not re-joined. */
  leaveRequested (room: Room, id: FrameId): void {
    this.latestRequest.set(room, id)
    this.joined.delete(room)
  }

  /** The request sent as frame `id` got its answer or failed; a successful join is remembered. */
  settled (room: Room, id: FrameId, joined: boolean): void {
    if (this.latestRequest.get(room) !== id) return
    this.latestRequest.delete(room)
    if (joined) this.joined.add(room)
  }

  /** Forgets a room without telling the server (it was refused on re-join, or left while disconnected). */
  forget (room: Room): void {
    this.latestRequest.delete(room)
    this.joined.delete(room)
  }

  forgetAll (): void {
    this.latestRequest.clear()
    this.joined.clear()
  }

  /**
   * Joins the remembered rooms again on a new connection (`alreadyIn`: the rooms its welcome
   * listed, resumed ones included). Every room that fails is reported; one the server refused is forgotten, one that
   * failed otherwise (no answer in time — the server may still have joined it —, rate-limited, a
   * server error) stays remembered. If the connection drops meanwhile (`isDropped`), rooms stay
   * remembered for the next one.
   */
  async rejoin (alreadyIn: readonly Room[], join: (room: Room) => Promise<unknown>, isDropped: () => boolean): Promise<Omit<ReconnectEvent, 'attempts' | 'recovered'>> {
    const outcome: Omit<ReconnectEvent, 'attempts' | 'recovered'> = { rejoined: [], failed: [] }
    await Promise.all(this.rooms.map(async (room) => {
      try {
        if (!alreadyIn.includes(room)) await join(room)
        outcome.rejoined.push(room)
      } catch (err) {
        if (isDropped()) return
        const error = err as RealtimeClientError
        const forgotten = REFUSALS.has(error.code)
        if (forgotten) this.forget(room)
        outcome.failed.push({ room, error, forgotten })
      }
    }))
    return outcome
  }
}
