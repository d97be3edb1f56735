/**
 * The client's half of wire protocol v1: client frames to text, text to server frames. Only this
 * file touches JSON. Decoding checks the fields the client relies on and never throws.
 */
import type { WireErrorCode } from '../protocol/codes'
import type { ClientFrame, FrameId, ServerFrame } from '../protocol/frames'
import { isWireErrorCode } from './errors'

/** Throws a TypeError when `data` holds something JSON cannot carry (a BigInt, a cycle). */
export function encodeClientFrame (frame: ClientFrame): string {
  return JSON.stringify(frame)
}

type ServerFrameResult =
  | { ok: true, frame: ServerFrame }
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
      return { ok: true, frame: value as Extract<ServerFrame, { type: 'welcome' }> }
    case 'event':
      if (typeof fields.event !== 'string' || (fields.room !== undefined && typeof fields.room !== 'string')) break
      return { ok: true, frame: value as Extract<ServerFrame, { type: 'event' }> }
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

function errorFrame (code: WireErrorCode, message: string, id: FrameId | undefined): ServerFrame {
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
