import { RealtimeError } from '../errors'
import { parseJsonObject } from '../protocol/json-object'
import { isJoinableRoom } from '../protocol/names'
import type { Room } from '../types'
import { isStreamPosition, type StreamPosition } from './stream-position'

/** Rooms one resume may name: it is read, and each room checked, before the client is admitted. */
export const MAX_RESUME_ROOMS = 100
/** Room names and positions of MAX_RESUME_ROOMS rooms fit with room to spare. */
const MAX_RESUME_LENGTH = 32 * 1024

export const RESUME_RULE = `a JSON object of at most ${MAX_RESUME_ROOMS} rooms, each { "offset": a non-negative integer, "epoch": a string }`

/**
 * The positions a client comes back from (the raw endpoint's `resume` query parameter, or what a
 * Socket.IO session kept), by room. Throws BAD_REQUEST for anything else, so a client learns its
 * resume was not understood instead of silently getting none.
 */
export function parseResumeRequest (value: unknown): Map<Room, StreamPosition> {
  if (typeof value !== 'string' || value.length > MAX_RESUME_LENGTH) throw badResume()
  const parsed = parseJsonObject(value)
  if (!parsed.ok) throw badResume()
  const entries = Object.entries(parsed.fields)
  if (entries.length > MAX_RESUME_ROOMS) throw badResume()
  const positions = new Map<Room, StreamPosition>()
  for (const [room, position] of entries) {
    if (!isJoinableRoom(room) || !isStreamPosition(position)) throw badResume()
    positions.set(room, { offset: position.offset, epoch: position.epoch })
  }
  return positions
}

function badResume (): RealtimeError {
  return new RealtimeError('BAD_REQUEST', `Query parameter "resume" must be ${RESUME_RULE}`)
}
