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
