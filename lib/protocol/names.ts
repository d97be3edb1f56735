/** Validation of the names clients and servers use: rooms and events. */

export const MAX_ROOM_NAME_LENGTH = 200
export const MAX_EVENT_NAME_LENGTH = 100
export const MAX_FRAME_ID_LENGTH = 64

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u

function isCleanName (value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength && !CONTROL_CHARACTERS.test(value)
}

export function isValidRoomName (value: unknown): value is string {
  return isCleanName(value, MAX_ROOM_NAME_LENGTH)
}

/**
 * Names that start with `$` are the plugin's own. Connection ids are such names (`$c:` and a random
 * part, on both transports), so that every node can tell one from a room, including an id handed
 * out by another node: no client, `autoJoin` or `in(room).join` can join the room of another
 * client's id, and `to(connectionId)` is refused rather than taken for an empty room.
 */
export const RESERVED_NAME_PREFIX = '$'

/** What every connection id starts with. */
export const CONNECTION_ID_PREFIX = '$c:'

export function isConnectionId (value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(CONNECTION_ID_PREFIX)
}

/** A room a connection can be in: a valid name that is not one of the plugin's own. */
export function isJoinableRoom (value: unknown): value is string {
  return isValidRoomName(value) && !value.startsWith(RESERVED_NAME_PREFIX)
}

export const JOINABLE_ROOM_RULE = `a non-empty string of at most ${MAX_ROOM_NAME_LENGTH} characters without control characters, ` +
  `not starting with "${RESERVED_NAME_PREFIX}" (reserved for the plugin: connection ids)`

export function isValidEventName (value: unknown): value is string {
  return isCleanName(value, MAX_EVENT_NAME_LENGTH)
}

/** Event names Socket.IO reserves: its clients drop the connection when they receive one. */
const SOCKET_IO_RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'])

/** An event name the server may send: valid, and not one Socket.IO clients cannot receive. */
export function isServerEventName (value: unknown): value is string {
  return isValidEventName(value) && !SOCKET_IO_RESERVED_EVENTS.has(value)
}

export const SERVER_EVENT_NAME_RULE = `a non-empty string of at most ${MAX_EVENT_NAME_LENGTH} characters without control characters, ` +
  `other than Socket.IO's reserved names (${[...SOCKET_IO_RESERVED_EVENTS].join(', ')})`

export function isValidFrameId (value: unknown): value is string | number {
  return (typeof value === 'string' && value.length <= MAX_FRAME_ID_LENGTH) || Number.isSafeInteger(value)
}

export const MAX_TOKEN_LENGTH = 8 * 1024

export function isPlausibleToken (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOKEN_LENGTH
}
