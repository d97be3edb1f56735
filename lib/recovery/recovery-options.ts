import { invalidOption } from '../errors'
import { refuseUnknownOptions } from '../option-names'
import { duration, optionalFunction, positiveInteger } from '../options-checks'
import { isConnectionId } from '../protocol/names'
import type { Room } from '../types'

export interface RecoveryOptions {
  /** Milliseconds a Socket.IO session is kept for its client to come back to (default 120 s). */
  maxDisconnectionDuration?: number
  /** Events each room keeps (default 1000). */
  historySize?: number
  /** Milliseconds a room's history is kept after its last emit (default 10 min; at least maxDisconnectionDuration). */
  historyTtl?: number
  /** Events one resume replays per room at most; a client further behind gets `recovered: false` (default 300). */
  maxReplay?: number
  /** Which rooms keep history (default: every room, `user:` rooms included). */
  rooms?: (room: Room) => boolean
}

export interface ResolvedRecovery {
  readonly maxDisconnectionDuration: number
  readonly historySize: number
  readonly historyTtl: number
  readonly maxReplay: number
  readonly rooms: (room: Room) => boolean
}

const RECOVERY_OPTION_NAMES: ReadonlySet<string> = new Set(['maxDisconnectionDuration', 'historySize', 'historyTtl', 'maxReplay', 'rooms'])
/** Bounds what one room's history costs in memory (in process) or in Redis. */
const MAX_HISTORY_SIZE = 100_000

const everyRoom = (): boolean => true

/** `recovery`: false (default), true (the defaults) or an object of the options above. */
export function resolveRecovery (value: RecoveryOptions | boolean | undefined): ResolvedRecovery | false {
  if (value === undefined || value === false) return false
  if (value !== true && (typeof value !== 'object' || value === null)) throw invalidOption('recovery', 'false, true or an object')
  const given = value === true ? {} : value
  refuseUnknownOptions('recovery.', given, RECOVERY_OPTION_NAMES)
  const maxDisconnectionDuration = duration('recovery.maxDisconnectionDuration', given.maxDisconnectionDuration, 120_000)
  const historySize = positiveInteger('recovery.historySize', given.historySize, 1000)
  if (historySize > MAX_HISTORY_SIZE) throw invalidOption('recovery.historySize', `at most ${MAX_HISTORY_SIZE}`)
  const historyTtl = duration('recovery.historyTtl', given.historyTtl, Math.max(600_000, maxDisconnectionDuration))
  // A client may come back any time within maxDisconnectionDuration: its rooms' history must still be there.
  if (historyTtl < maxDisconnectionDuration) throw invalidOption('recovery.historyTtl', 'at least recovery.maxDisconnectionDuration')
  const maxReplay = positiveInteger('recovery.maxReplay', given.maxReplay, Math.min(300, historySize))
  if (maxReplay > historySize) throw invalidOption('recovery.maxReplay', 'at most recovery.historySize')
  return Object.freeze({
    maxDisconnectionDuration,
    historySize,
    historyTtl,
    maxReplay,
    rooms: optionalFunction('recovery.rooms', given.rooms) ?? everyRoom
  })
}

/**
 * Whether a room keeps history, for nodes and emitters alike: the `rooms` option, as far as the
 * bus can keep the room (see Bus.canKeepHistory); never a connection id (`to(connectionId)` is a
 * direct send, like `client.emit`).
 */
export function keepsHistory (recovery: ResolvedRecovery, room: Room, canKeep: (room: Room) => boolean): boolean {
  return !isConnectionId(room) && recovery.rooms(room) && canKeep(room)
}
