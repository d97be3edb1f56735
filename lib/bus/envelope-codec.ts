/**
 * The one place that turns envelopes into bus messages and back, shared by the Redis bus and the
 * emitter.
 *
 * A message is a JSON header, then for an `emit` a newline and the payload exactly as the sender
 * serialised it: the payload is never stringified twice, and the receiver hands it on without
 * re-stringifying (JSON text never contains a raw newline, so the first one ends the header).
 * Decoding never throws: anything malformed is reported as a reason, for the bus to log and drop.
 */
import type { BusMessage, ClusterQuery, EmitEnvelope, Selection } from './envelope'
import { isRecord, isStringArray, parseJsonObject } from '../protocol/json-object'
import { isServerEventName, isValidRoomName } from '../protocol/names'

/** Bumped when the message format changes incompatibly; other versions are dropped. */
const ENVELOPE_VERSION = 1

const MAX_ID_LENGTH = 128

type DecodedEnvelope = { ok: true, envelope: BusMessage } | { ok: false, reason: string }

export function encodeEnvelope (envelope: BusMessage): string {
  if (envelope.type !== 'emit') return JSON.stringify({ v: ENVELOPE_VERSION, ...envelope })
  const { dataJson, ...header } = envelope
  return `${JSON.stringify({ v: ENVELOPE_VERSION, ...header })}\n${dataJson}`
}

export function decodeEnvelope (message: string): DecodedEnvelope {
  const newline = message.indexOf('\n')
  const headerText = newline === -1 ? message : message.slice(0, newline)
  const parsed = parseJsonObject(headerText)
  if (!parsed.ok) return failed(`header is ${parsed.problem}`)
  const header = parsed.fields
  if (header.v !== ENVELOPE_VERSION) return failed(`unsupported version ${String(header.v)}`)
  const { type, origin } = header
  if (!isId(origin)) return failed('bad origin')
  switch (type) {
    case 'emit': {
      const selection = readSelection(header)
      if (selection === undefined) return failed('bad selection')
      if (!isServerEventName(header.event)) return failed('bad event name')
      if (typeof header.omitRoom !== 'boolean') return failed('bad omitRoom flag')
      if (newline === -1) return failed('emit without payload')
      const dataJson = message.slice(newline + 1)
      if (!isJson(dataJson)) return failed('payload is not JSON')
      if (header.volatile !== undefined && header.volatile !== true) return failed('bad volatile flag')
      const envelope: EmitEnvelope = { type, origin, event: header.event, dataJson, omitRoom: header.omitRoom, ...selection }
      if (header.volatile === true) envelope.volatile = true
      return { ok: true, envelope }
    }
    case 'join':
    case 'leave': {
      const selection = readSelection(header)
      if (selection === undefined) return failed('bad selection')
      if (!isRoomList(header.targetRooms)) return failed('bad target rooms')
      return { ok: true, envelope: { type, origin, targetRooms: header.targetRooms, ...selection } }
    }
    case 'disconnect': {
      const selection = readSelection(header)
      if (selection === undefined) return failed('bad selection')
      return { ok: true, envelope: { type, origin, ...selection } }
    }
    case 'request': {
      const query = readQuery(header.query)
      if (!isId(header.requestId) || query === undefined) return failed('bad request')
      return { ok: true, envelope: { type, origin, requestId: header.requestId, query } }
    }
    case 'response': {
      const { answer } = header
      if (!isId(header.requestId) || !(isCount(answer) || isStringArray(answer))) return failed('bad response')
      return { ok: true, envelope: { type, origin, requestId: header.requestId, answer } }
    }
    case 'subscribed': {
      if (!isValidRoomName(header.room) || !isId(header.announcementId)) return failed('bad announcement')
      return { ok: true, envelope: { type, origin, room: header.room, announcementId: header.announcementId } }
    }
    case 'subscribed-ack': {
      if (!isId(header.announcementId)) return failed('bad announcement')
      return { ok: true, envelope: { type, origin, announcementId: header.announcementId } }
    }
    default:
      return failed(`unknown type ${String(type)}`)
  }
}

function readSelection (header: Record<string, unknown>): Selection | undefined {
  const { rooms, except, exceptConnectionId } = header
  if (!isRoomList(rooms) || !isRoomList(except)) return undefined
  if (exceptConnectionId === undefined) return { rooms, except }
  return isId(exceptConnectionId) ? { rooms, except, exceptConnectionId } : undefined
}

function readQuery (query: unknown): ClusterQuery | undefined {
  if (!isRecord(query)) return undefined
  switch (query.kind) {
    case 'count': return { kind: 'count' }
    case 'users': return { kind: 'users' }
    case 'roomSize': return isValidRoomName(query.room) ? { kind: 'roomSize', room: query.room } : undefined
    default: return undefined
  }
}

function failed (reason: string): DecodedEnvelope {
  return { ok: false, reason }
}

function isId (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH
}

function isRoomList (value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isValidRoomName)
}

function isCount (value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function isJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
