/**
 * Checks of the fields a server with `recovery` on adds to protocol v1 (positions in welcome,
 * event and join-ack frames, `resumed` in the welcome, the `recovery:reset` notice). They take
 * parsed JSON and never throw; a server with recovery off sends none of these fields.
 */
import type { Room } from '../types'
import type { EventPosition, StreamPosition } from './positions'

export function isStreamPosition (value: unknown): value is StreamPosition {
  if (!isObject(value)) return false
  // `{ offset: 0, epoch: '' }` is a room whose stream has not begun (a welcome or join ack of a quiet room).
  return Number.isSafeInteger(value.offset) && (value.offset as number) >= 0 && typeof value.epoch === 'string'
}

export function isEventPosition (value: unknown): value is EventPosition {
  return isStreamPosition(value) && typeof (value as unknown as Record<string, unknown>).room === 'string'
}

/** A welcome's `positions`: an object of stream positions by room. */
export function isPositionMap (value: unknown): value is Record<Room, StreamPosition> {
  return isObject(value) && Object.values(value).every(isStreamPosition)
}

/** A welcome's `resumed`: an object of booleans by room. */
export function isResumedMap (value: unknown): value is Record<Room, boolean> {
  return isObject(value) && Object.values(value).every((resumed) => typeof resumed === 'boolean')
}

/** The position in a join ack's data (`{ room, position }`); undefined for a room without history or a server with recovery off. */
export function ackPosition (data: unknown): StreamPosition | undefined {
  if (!isObject(data) || !isStreamPosition(data.position)) return undefined
  return { offset: data.position.offset, epoch: data.position.epoch }
}

/** The data of a `recovery:reset` event, or undefined when it is not `{ room, position }`. */
export function resetNotice (data: unknown): { room: Room, position: StreamPosition } | undefined {
  if (!isObject(data) || typeof data.room !== 'string' || !isStreamPosition(data.position)) return undefined
  return { room: data.room, position: { offset: data.position.offset, epoch: data.position.epoch } }
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
