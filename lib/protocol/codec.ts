/**
 * The one place that turns text frames into typed client frames and server frames into text.
 * Decoding never throws: every bad input becomes a `BAD_REQUEST` result carrying the frame id when
 * one could be read, so the client can match the error to its request.
 */
import { invalidArgument } from '../errors'
import type { StreamStamp } from '../recovery/stream-position'
import type { ClientFrame, FrameId, ServerFrame } from './frames'
import { parseJsonObject } from './json-object'
import { EVENT_NAME_RULE, isPlausibleToken, isValidEventName, isValidFrameId, isValidRoomName, ROOM_NAME_RULE } from './names'

type DecodeResult =
  | { ok: true, frame: ClientFrame }
  | { ok: false, message: string, id?: FrameId }

export function decodeClientFrame (text: string): DecodeResult {
  const parsed = parseJsonObject(text)
  if (!parsed.ok) return { ok: false, message: parsed.problem === 'not JSON' ? 'Frame is not valid JSON' : 'Frame must be a JSON object' }
  const { fields } = parsed
  const rawId = fields.id
  if (rawId !== undefined && !isValidFrameId(rawId)) {
    return { ok: false, message: 'Field "id" must be a string of at most 64 characters or an integer' }
  }
  const id = rawId as FrameId | undefined
  const failed = (message: string): DecodeResult => (id === undefined ? { ok: false, message } : { ok: false, message, id })

  switch (fields.type) {
    case 'join':
    case 'leave':
    case 'presence':
      if (!isValidRoomName(fields.room)) return failed(`Field "room" must be ${ROOM_NAME_RULE}`)
      return { ok: true, frame: withId({ type: fields.type, room: fields.room }, id) }
    case 'emit':
      if (!isValidEventName(fields.event)) return failed(`Field "event" must be ${EVENT_NAME_RULE}`)
      return { ok: true, frame: withId({ type: 'emit', event: fields.event, data: fields.data }, id) }
    case 'ping':
      return { ok: true, frame: withId({ type: 'ping' }, id) }
    case 'auth':
      if (!isPlausibleToken(fields.token)) return failed('Field "token" must be a non-empty string of at most 8192 characters')
      return { ok: true, frame: withId({ type: 'auth', token: fields.token }, id) }
    default:
      return failed('Field "type" must be one of "join", "leave", "emit", "ping", "auth", "presence"')
  }
}

/** The `id` of a frame, if it has a valid one, whatever else is wrong with it. */
export function peekFrameId (text: string): FrameId | undefined {
  const result = decodeClientFrame(text)
  return result.ok ? result.frame.id : result.id
}

function withId<F extends ClientFrame> (frame: F, id: FrameId | undefined): F {
  if (id !== undefined) frame.id = id
  return frame
}

export function encodeServerFrame (frame: ServerFrame): string {
  return JSON.stringify(frame)
}

/**
 * JSON for an event payload; `undefined` travels as `null`. Throws a TypeError for values JSON
 * cannot carry, and FST_REALTIME_INVALID_ARGUMENT for binary data (a Buffer, a typed array, an
 * ArrayBuffer, anywhere in it): JSON would silently make it `{"type":"Buffer","data":[…]}` or `{}`,
 * and the two transports could not carry it alike. Send binary as base64 or through `app.realtime.io`.
 */
export function encodeData (data: unknown): string {
  return JSON.stringify(data, refuseBinary) ?? 'null'
}

function refuseBinary (this: unknown, key: string, value: unknown): unknown {
  // `value` has been through toJSON already (a Buffer's is an object); the holder has the original.
  const original = (this as Record<string, unknown>)[key]
  if (typeof original === 'object' && original !== null && (ArrayBuffer.isView(original) || original instanceof ArrayBuffer)) {
    throw invalidArgument('data', 'JSON data, without binary (a Buffer, a typed array or an ArrayBuffer); send binary as base64')
  }
  return value
}

/**
 * An `event` frame assembled around already-serialised data, so data is stringified once per emit;
 * with its place in a room's history when it has one.
 */
export function encodeEventFrame (event: string, dataJson: string, room: string | undefined, position?: StreamStamp): string {
  const roomField = room === undefined ? '' : `,"room":${JSON.stringify(room)}`
  const positionField = position === undefined
    ? ''
    : `,"position":{"room":${JSON.stringify(position.room)},"offset":${position.offset},"epoch":${JSON.stringify(position.epoch)}}`
  return `{"type":"event","event":${JSON.stringify(event)}${roomField},"data":${dataJson}${positionField}}`
}
