import type { EmitEnvelope } from './envelope'
import { newEpoch, type HistoryEntry, type HistoryRead, type StreamPosition, type StreamStamp } from '../recovery/stream-position'
import type { Room } from '../types'

/** What each room's history may keep. */
export interface HistoryLimits {
  /** Entries per room. */
  readonly size: number
  /** Milliseconds a room's history is kept after its last emit. */
  readonly ttl: number
}

interface RoomHistory {
  epoch: string
  top: number
  /** The newest `size` entries, oldest first. */
  entries: HistoryEntry[]
  expiresAt: number
}

/**
 * The in-process twin of the Redis streams: per room an epoch, a top offset and the newest entries,
 * forgotten `ttl` after the room's last emit. Rooms are kept in the order of their last emit, so
 * expired ones are found at the front and dropped as new emits come, without a timer.
 */
export class MemoryHistory {
  private readonly rooms = new Map<Room, RoomHistory>()

  append (room: Room, envelope: EmitEnvelope, limits: HistoryLimits, now = Date.now()): StreamStamp {
    this.dropExpired(now)
    const history = this.rooms.get(room) ?? { epoch: newEpoch(), top: 0, entries: [], expiresAt: 0 }
    const offset = ++history.top
    history.entries.push({ offset, envelope })
    // Trimmed in batches, so a long history is not shifted by one on every emit.
    if (history.entries.length > limits.size + Math.ceil(limits.size / 8)) history.entries.splice(0, history.entries.length - limits.size)
    history.expiresAt = now + limits.ttl
    // Re-inserted so the map stays in order of last emit.
    this.rooms.delete(room)
    this.rooms.set(room, history)
    return { room, offset, epoch: history.epoch }
  }

  read (room: Room, after: number, limit: number, fence?: StreamPosition, now = Date.now()): HistoryRead {
    const history = this.rooms.get(room)
    if (history === undefined || history.expiresAt <= now) return { epoch: undefined, top: 0, entries: [] }
    if (fence !== undefined && fence.epoch === history.epoch && fence.offset > history.top) history.epoch = newEpoch()
    const entries: HistoryEntry[] = []
    // Offsets are consecutive: the first entry after `after` is found by arithmetic, not a search.
    const first = history.entries.length === 0 ? 0 : history.entries[0].offset
    for (let index = Math.max(0, after + 1 - first); index < history.entries.length && entries.length < limit; index++) {
      entries.push(history.entries[index])
    }
    return { epoch: history.epoch, top: history.top, entries }
  }

  private dropExpired (now: number): void {
    for (const [room, history] of this.rooms) {
      if (history.expiresAt > now) return
      this.rooms.delete(room)
    }
  }
}

/** Sessions kept for clients to come back to, each until its own expiry; expired ones are dropped as others are saved. */
export class MemorySessions {
  private readonly sessions = new Map<string, { value: string, expiresAt: number }>()

  save (id: string, value: string, ttl: number, now = Date.now()): void {
    for (const [key, session] of this.sessions) {
      if (session.expiresAt > now) break
      this.sessions.delete(key)
    }
    this.sessions.delete(id)
    this.sessions.set(id, { value, expiresAt: now + ttl })
  }

  take (id: string, now = Date.now()): string | undefined {
    const session = this.sessions.get(id)
    this.sessions.delete(id)
    return session === undefined || session.expiresAt <= now ? undefined : session.value
  }
}
