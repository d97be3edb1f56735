/** Validation of the names clients and servers use: rooms and events. */

const MAX_ROOM_NAME_LENGTH = 200
const MAX_EVENT_NAME_LENGTH = 100
const MAX_FRAME_ID_LENGTH = 64

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u

function isCleanName (value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength && !CONTROL_CHARACTERS.test(value)
}

export function isValidRoomName (value: unknown): value is string {
  return isCleanName(value, MAX_ROOM_NAME_LENGTH)
}

/** What a valid room name is, in the words of every refusal of one. */
export const ROOM_NAME_RULE = `a non-empty string of at most ${MAX_ROOM_NAME_LENGTH} characters without control characters`

/**
 * Names that start with `$` are the plugin's own. Connection ids are such names (`$c:` and a random
 * part, on both transports), so that every node can tell one from a room, including an id handed
 * out by another node: no client, `autoJoin` or `in(room).join` can join the room of another
 * client's id, and `to(connectionId)` is refused rather than taken for an empty room.
 */
const RESERVED_NAME_PREFIX = '$'

/** What every connection id starts with. */
export const CONNECTION_ID_PREFIX = '$c:'

export function isConnectionId (value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(CONNECTION_ID_PREFIX)
}

/** A room a connection can be in: a valid name that is not one of the plugin's own. */
export function isJoinableRoom (value: unknown): value is string {
  return isValidRoomName(value) && !value.startsWith(RESERVED_NAME_PREFIX)
}

export const JOINABLE_ROOM_RULE = `${ROOM_NAME_RULE}, and not starting with "${RESERVED_NAME_PREFIX}" (the plugin's own names, such as connection ids)`

export function isValidEventName (value: unknown): value is string {
  return isCleanName(value, MAX_EVENT_NAME_LENGTH)
}

export const EVENT_NAME_RULE = `a non-empty string of at most ${MAX_EVENT_NAME_LENGTH} characters without control characters`

/*
 * Every reserved event name, in one place, by why it is reserved.
 */

/** Socket.IO's own: its clients drop the connection when they receive one. */
const SOCKET_IO_EVENTS = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']

/** The event that tells a room's members its events before a position cannot all reach them (the `recovery` option). */
export const RESET_EVENT = 'recovery:reset'

/** What the plugin itself sends clients (Socket.IO events; on /ws, frame types): a server event of that name would be taken for it. */
const PLUGIN_MESSAGE_EVENTS = ['welcome', 'error', 'disconnect_reason', RESET_EVENT]

/**
 * The events presence sends a room's members (the `presence` option). Ordinary events, and not
 * reserved: nothing in either client acts on them, and an app may announce a member of its own
 * (a bot, say) with the same shape, from a node or a worker's emitter.
 */
export const PRESENCE_JOIN_EVENT = 'presence:join'
export const PRESENCE_LEAVE_EVENT = 'presence:leave'

/** The request a member sends for a room's presence (a `presence` frame on /ws, a `presence` event on Socket.IO). */
export const PRESENCE_REQUEST = 'presence'

/** Requests clients send the plugin, handled by the plugin itself. */
const CLIENT_REQUEST_EVENTS = ['join', 'leave', 'auth', PRESENCE_REQUEST]

/**
 * The events `fastify-realtime/client` emits itself; a server event of one of those names reaches
 * its `error` listener as a PROTOCOL_ERROR instead.
 */
export const CLIENT_LIFECYCLE_EVENTS: ReadonlySet<string> = new Set(['welcome', 'disconnect', 'reconnecting', 'reconnect', 'reconnect_failed', 'recovered', 'error'])

const RESERVED_SERVER_EVENTS: ReadonlySet<string> = new Set([...SOCKET_IO_EVENTS, ...PLUGIN_MESSAGE_EVENTS])
const RESERVED_HANDLER_EVENTS: ReadonlySet<string> = new Set([...SOCKET_IO_EVENTS, ...PLUGIN_MESSAGE_EVENTS, ...CLIENT_REQUEST_EVENTS])

/** An event name the server may send: valid, and not one clients take for a message of Socket.IO's or the plugin's. */
export function isServerEventName (value: unknown): value is string {
  return isValidEventName(value) && !RESERVED_SERVER_EVENTS.has(value)
}

export const SERVER_EVENT_NAME_RULE = `${EVENT_NAME_RULE}, and none of the reserved names ${[...RESERVED_SERVER_EVENTS].join(', ')}`

/** An event name an `on()` handler may take: valid, and not a message of Socket.IO's, the plugin's or a client request. */
export function isHandlerEventName (value: unknown): value is string {
  return isValidEventName(value) && !RESERVED_HANDLER_EVENTS.has(value)
}

export const HANDLER_EVENT_NAME_RULE = `${EVENT_NAME_RULE}, and none of the reserved names ${[...RESERVED_HANDLER_EVENTS].join(', ')}`

export function isValidFrameId (value: unknown): value is string | number {
  return (typeof value === 'string' && value.length <= MAX_FRAME_ID_LENGTH) || Number.isSafeInteger(value)
}

const MAX_TOKEN_LENGTH = 8 * 1024

export function isPlausibleToken (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOKEN_LENGTH
}
