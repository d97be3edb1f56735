import { invalidArgument, RealtimeConfigError } from '../errors'
import type { RoomStreams } from '../hub/room-streams'
import { isValidRoomName, ROOM_NAME_RULE } from '../protocol/names'
import type { Room } from '../types'
import type { StreamPosition } from './stream-position'

export interface HistoryOptions {
  /** Events after this offset (default: the latest `limit` events). */
  since?: number
  /** Events at most (default `recovery.maxReplay`, at most `recovery.historySize`). */
  limit?: number
}

export interface HistoryEvent {
  readonly offset: number
  readonly event: string
  readonly data: unknown
}

export interface RoomHistoryPage {
  /** The room's latest position: a client that loads this page resumes from it. */
  readonly position: StreamPosition
  /** Oldest first. */
  readonly events: readonly HistoryEvent[]
  /** False when some events after `since` are no longer kept (trimmed or expired): the page starts later than asked. */
  readonly complete: boolean
}

/** `app.realtime.history()`: what a room's history keeps, for app code (an HTTP route serving a page's initial state). */
export async function readRoomHistory (streams: RoomStreams | undefined, room: Room, options: HistoryOptions = {}): Promise<RoomHistoryPage> {
  if (streams === undefined) throw invalidArgument('history()', 'called with the recovery option on')
  if (!isValidRoomName(room)) throw invalidArgument('room', ROOM_NAME_RULE)
  if (!streams.keeps(room)) throw invalidArgument('room', 'a room that keeps history (see recovery.rooms)')
  const limit = options.limit ?? streams.recovery.maxReplay
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > streams.recovery.historySize) throw invalidArgument('limit', `an integer from 1 to ${streams.recovery.historySize}`)
  if (options.since !== undefined && (!Number.isSafeInteger(options.since) || options.since < 0)) throw invalidArgument('since', 'a non-negative integer')
  const top = await streams.history(room, 0, 0)
  const since = options.since ?? Math.max(0, (top?.top ?? 0) - limit)
  const read = top === undefined ? undefined : await streams.history(room, since, limit)
  if (read === undefined) throw new RealtimeConfigError('FST_REALTIME_REDIS_UNAVAILABLE', 'fastify-realtime: the room\'s history cannot be read (Redis unreachable)')
  const events = read.entries.map(({ offset, envelope }) => ({ offset, event: envelope.event, data: JSON.parse(envelope.dataJson) as unknown }))
  const complete = read.top <= since || events[0]?.offset === since + 1
  return { position: { offset: read.top, epoch: read.epoch ?? '' }, events, complete }
}
