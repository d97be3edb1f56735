import { invalidOption } from '../errors'
import { refuseUnknownOptions } from '../option-names'
import { optionalFunction, positiveInteger } from '../options-checks'
import type { RealtimeClient } from '../hub/realtime-client'
import type { PresenceInfo } from '../protocol/presence'
import { USER_ROOM_PREFIX, type Room } from '../types'

export interface PresenceOptions {
  /** Which rooms track presence (default: every room except `user:` rooms). */
  rooms?: (room: Room) => boolean
  /**
   * The public info attached to a member's connection, shown in presence lists and `presence:join`
   * (default: none, `null`). Called once as the connection enters the room; never put the token or
   * private claims here unless every member may see them.
   */
  info?: (client: RealtimeClient, room: Room) => PresenceInfo | null | undefined
  /**
   * Whether a room's members get `presence:join` and `presence:leave` events (default true); false
   * or a function of the room keeps the queries and drops the events.
   */
  events?: boolean | ((room: Room) => boolean)
  /** Users a presence list holds at most (default 1000, at most 10,000); `presenceStats` counts them all. */
  listLimit?: number
}

export interface ResolvedPresence {
  readonly rooms: (room: Room) => boolean
  readonly info: PresenceOptions['info']
  readonly events: (room: Room) => boolean
  readonly listLimit: number
}

const PRESENCE_OPTION_NAMES: ReadonlySet<string> = new Set(['rooms', 'info', 'events', 'listLimit'])
const DEFAULT_LIST_LIMIT = 1000
/** A list is one Redis reply and one ack frame: past this, page the app's own way (or ask for counts). */
const MAX_LIST_LIMIT = 10_000

/** A user's own room holds only that user's connections: its presence says nothing `isUserConnected` does not. */
const exceptUserRooms = (room: Room): boolean => !room.startsWith(USER_ROOM_PREFIX)
const always = (): boolean => true
const never = (): boolean => false

/** `presence`: false (default), true (the defaults) or an object of the options above. */
export function resolvePresence (value: PresenceOptions | boolean | undefined): ResolvedPresence | false {
  if (value === undefined || value === false) return false
  if (value !== true && (typeof value !== 'object' || value === null)) throw invalidOption('presence', 'false, true or an object')
  const given = value === true ? {} : value
  refuseUnknownOptions('presence.', given, PRESENCE_OPTION_NAMES)
  const listLimit = positiveInteger('presence.listLimit', given.listLimit, DEFAULT_LIST_LIMIT)
  if (listLimit > MAX_LIST_LIMIT) throw invalidOption('presence.listLimit', `at most ${MAX_LIST_LIMIT}`)
  return Object.freeze({
    rooms: optionalFunction('presence.rooms', given.rooms) ?? exceptUserRooms,
    info: optionalFunction('presence.info', given.info),
    events: resolveEvents(given.events),
    listLimit
  })
}

function resolveEvents (events: PresenceOptions['events']): (room: Room) => boolean {
  if (events === undefined || events === true) return always
  if (events === false) return never
  if (typeof events !== 'function') throw invalidOption('presence.events', 'a boolean or a function of the room')
  return events
}
