/**
 * The client's half of wire protocol v1: client frames to text, text to server frames, and the
 * `resume` parameter of a reconnect's URL. Only this file touches JSON. Decoding checks the fields the client relies on and never throws.
 */
import type { WireErrorCode } from '../protocol/codes'
import type { ClientFrame, FrameId, ServerFrame } from '../protocol/frames'
import type { Room } from '../types'
import { isWireErrorCode } from './errors'
import type { EventPosition, StreamPosition } from './positions'
import { isEventPosition, isPositionMap, isResumedMap } from './recovery-fields'

/** What a server with `recovery` on adds to its welcome; see docs/protocol.md. */
export interface WelcomeRecovery {
  /** The position of every history room the connection is in: that room's events after it follow. */
  positions?: Record<Room, StreamPosition>
  /** For every room the client asked to resume: true when the events it missed follow, false when it must reload the room's state. */
  resumed?: Record<Room, boolean>
}

/** Server frames as this client reads them: protocol v1, with the fields recovery adds. */
export type InboundFrame =
  | (Extract<ServerFrame, { type: 'welcome' }> & WelcomeRecovery)
  | (Extract<ServerFrame, { type: 'event' }> & { position?: EventPosition })
  | Exclude<ServerFrame, { type: 'welcome' | 'event' }>

/** Throws a TypeError when `data` holds something JSON cannot carry (a BigInt, a cycle). */
export function encodeClientFrame (frame: ClientFrame): string {
  return JSON.stringify(frame)
}

/** The `resume` query parameter's value: the positions by room, as JSON, URI-encoded. */
export function encodeResumeParameter (positions: ReadonlyMap<Room, StreamPosition>): string {
  // Without a prototype, so that a room named `__proto__` is a key like any other.
  const entries = Object.create(null) as Record<Room, StreamPosition>
  for (const [room, { offset, epoch }] of positions) entries[room] = { offset, epoch }
  return encodeURIComponent(JSON.stringify(entries))
}

/** What one room adds to the `resume` parameter's length: its encoded entry and the comma before it. */
export function resumeEntryLength (room: Room, { offset, epoch }: StreamPosition): number {
  return encodeURIComponent(`${JSON.stringify(room)}:${JSON.stringify({ offset, epoch })},`).length
}

type ServerFrameResult =
  | { ok: true, frame: InboundFrame }
  | { ok: false, message: string, id?: FrameId }

export function decodeServerFrame (text: string): ServerFrameResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, message: 'Server frame is not valid JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'Server frame is not a JSON object' }
  }
  const fields = value as Record<string, unknown>
  const id = isFrameId(fields.id) ? fields.id : undefined
  switch (fields.type) {
    case 'welcome':
      if (typeof fields.connectionId !== 'string' || !isStringArray(fields.rooms) || typeof fields.user !== 'object') break
      if ((fields.positions !== undefined && !isPositionMap(fields.positions)) || (fields.resumed !== undefined && !isResumedMap(fields.resumed))) break
      return { ok: true, frame: value as Extract<InboundFrame, { type: 'welcome' }> }
    case 'event':
      if (typeof fields.event !== 'string' || (fields.room !== undefined && typeof fields.room !== 'string')) break
      if (fields.position !== undefined && !isEventPosition(fields.position)) break
      return { ok: true, frame: value as Extract<InboundFrame, { type: 'event' }> }
    case 'ack':
      if (id === undefined) break
      return { ok: true, frame: { type: 'ack', id, data: fields.data } }
    case 'pong':
      return { ok: true, frame: id === undefined ? { type: 'pong' } : { type: 'pong', id } }
    case 'error':
      if (typeof fields.message !== 'string') break
      if (!isWireErrorCode(fields.code)) {
        return withId({ ok: false, message: `Server answered with an unknown error code ${JSON.stringify(fields.code)}: ${fields.message}` }, id)
      }
      return { ok: true, frame: errorFrame(fields.code, fields.message, id) }
  }
  return withId({ ok: false, message: `Server frame of type ${JSON.stringify(fields.type)} has an unexpected shape` }, id)
}

function errorFrame (code: WireErrorCode, message: string, id: FrameId | undefined): InboundFrame {
  return id === undefined ? { type: 'error', code, message } : { type: 'error', id, code, message }
}

function withId (result: { ok: false, message: string }, id: FrameId | undefined): ServerFrameResult {
  return id === undefined ? result : { ...result, id }
}

function isFrameId (value: unknown): value is FrameId {
  return typeof value === 'string' || typeof value === 'number'
}

function isStringArray (value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}
