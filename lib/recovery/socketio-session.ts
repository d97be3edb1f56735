/**
 * A Socket.IO session kept for its client to come back to (connection state recovery), as it is
 * stored through the bus (Redis `SET … PX`, taken with `GETDEL`; in process on the memory bus):
 * one JSON string per session, under the client's private session id.
 */
import type { Room } from '../types'
import { parseLogRecord, type SessionLogRecord } from './session-log'

export interface SocketIoSession {
  /** The socket id (`$c:…`, the connection id), restored as `socket.id`. */
  readonly sid: string
  /** The private session id the client sends back as `pid`. */
  readonly pid: string
  /** Whose session it is: only a verified token of the same user takes it back. */
  readonly userId: string | null
  /** Every room the connection was in (its own id aside), those without history included. */
  readonly rooms: readonly Room[]
  /** `socket.data`, as JSON. */
  readonly data: unknown
  readonly log: SessionLogRecord
  /** When the session stops being valid, ms since the epoch (its TTL, kept for putting it back). */
  readonly expiresAt: number
}

/** Longest private session id accepted from a client: Socket.IO's are 20 characters. */
export const MAX_PID_LENGTH = 64
/** A session larger than this (a huge `socket.data`) is not kept. */
export const MAX_SESSION_LENGTH = 1_000_000

/** The bus key of a session: the namespace's name keeps two endpoints of one bus apart. */
export function sessionKey (namespace: string, pid: string): string {
  return `socketio#${namespace}#${pid}`
}

/**
 * The stored form of a session, with `socket.data` already serialised (`dataJson`); undefined
 * when it is over MAX_SESSION_LENGTH (a huge `socket.data`): such a session is not kept.
 */
export function encodeSession (session: Omit<SocketIoSession, 'data'>, dataJson: string): string | undefined {
  const { sid, pid, userId, rooms, log, expiresAt } = session
  const value = `${JSON.stringify({ v: 1, sid, pid, userId, rooms, log, expiresAt }).slice(0, -1)},"data":${dataJson}}`
  return value.length > MAX_SESSION_LENGTH ? undefined : value
}

/** Reads a stored session back; undefined for anything malformed or expired. */
export function decodeSession (value: string, now = Date.now()): SocketIoSession | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { v, sid, pid, userId, rooms, data, log, expiresAt } = parsed as Record<string, unknown>
  if (v !== 1 || typeof sid !== 'string' || typeof pid !== 'string') return undefined
  if (userId !== null && typeof userId !== 'string') return undefined
  if (!Array.isArray(rooms) || !rooms.every((room) => typeof room === 'string')) return undefined
  if (typeof expiresAt !== 'number' || expiresAt <= now) return undefined
  const logRecord = parseLogRecord(log)
  if (logRecord === undefined) return undefined
  return { sid, pid, userId, rooms: rooms as Room[], data, log: logRecord, expiresAt }
}
