/**
 * Positions in a room's history. Every emit to a room that keeps history gets the next offset of
 * that room's stream; the epoch names one life of the stream, so an offset from before the stream
 * was lost (Redis restarted without persistence, history expired) is never taken for one after.
 */
import { randomBytes } from 'node:crypto'
import type { EmitEnvelope } from '../bus/envelope'
import type { Room } from '../types'

export interface StreamPosition {
  /** The offset of the last event at this position; 0 before the stream's first event. */
  readonly offset: number
  readonly epoch: string
}

/** Where one emit sits in one room's stream. */
export interface StreamStamp extends StreamPosition {
  readonly room: Room
}

export interface HistoryEntry {
  readonly offset: number
  readonly envelope: EmitEnvelope
}

/** What a history read found: the stream's epoch and top offset, and the entries after the offset asked for. */
export interface HistoryRead {
  /** Undefined when the room has no stream (never emitted to, or expired). */
  readonly epoch: string | undefined
  readonly top: number
  /** In offset order, at most the limit asked for. */
  readonly entries: readonly HistoryEntry[]
}

/**
 * Epochs are short strings unique per room for as long as any client could hold one: random per
 * process, then counted, since every emit to Redis carries a candidate (used only when the room
 * has no stream) and drawing random bytes per emit showed in profiles.
 */
const EPOCH_PREFIX = randomBytes(6).toString('base64url')
let epochs = 0

export function newEpoch (): string {
  return EPOCH_PREFIX + (epochs++).toString(36)
}

/** Longest epoch accepted from a client (ours are 8 characters). */
export const MAX_EPOCH_LENGTH = 64

export function isStreamPosition (value: unknown): value is StreamPosition {
  if (typeof value !== 'object' || value === null) return false
  const { offset, epoch } = value as Record<string, unknown>
  return typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0 &&
    // '' is the epoch of a room that had no stream yet when the client joined it.
    typeof epoch === 'string' && epoch.length <= MAX_EPOCH_LENGTH
}
