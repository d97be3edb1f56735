/**
 * Every code a client can see, in one table, for the server and the client alike (as fastify keeps
 * one table of its error codes, and centrifuge one of its disconnects with their reconnect rule).
 * `lib/errors.ts`, the client's reconnect decision and the docs' tables all come from here; a test
 * fails when docs/errors.md and these tables disagree.
 */

/**
 * A wire code is what a client sees: in an `error` frame, in the JSON body of a refused handshake,
 * or as `err.data.code` of a Socket.IO `connect_error`. `status` answers it before the upgrade;
 * `closeCode` ends a connection for it after the upgrade (4000 + the status it mirrors), or null
 * when it never ends one.
 */
export const WIRE_ERRORS = {
  BAD_REQUEST: { status: 400, closeCode: 4400, message: 'Malformed frame' },
  UNAUTHORIZED: { status: 401, closeCode: 4401, message: 'Authentication required' },
  TOKEN_EXPIRED: { status: 401, closeCode: 4401, message: 'Token expired' },
  FORBIDDEN: { status: 403, closeCode: 4403, message: 'Forbidden' },
  NOT_FOUND: { status: 404, closeCode: null, message: 'No handler for this event' },
  // Never a handshake answer: the status is the one its close code mirrors.
  SLOW_CONSUMER: { status: 408, closeCode: 4408, message: 'Client is not reading fast enough' },
  TOO_MANY_ROOMS: { status: 409, closeCode: null, message: 'Room limit reached for this connection' },
  RATE_LIMITED: { status: 429, closeCode: 4429, message: 'Rate limit exceeded' },
  INTERNAL: { status: 500, closeCode: 1011, message: 'Internal error' }
} as const

export type WireErrorCode = keyof typeof WIRE_ERRORS

/**
 * Whether a client should connect again after a close: `yes`, `no` (trying again would only be
 * refused again, or repeat the fault), or `with-new-token` (only with a token other than the one
 * refused).
 */
export type ReconnectRule = 'yes' | 'no' | 'with-new-token'

/** Every close code a client can see, with what it means and whether to reconnect. */
export const CLOSE_CODE_TABLE = [
  { code: 1000, name: 'NORMAL', meaning: 'the server disconnected this client on purpose (`client.disconnect()`, `disconnectUser`)', reconnect: 'no' },
  { code: 1001, name: 'SERVER_SHUTDOWN', meaning: 'server shutdown or restart', reconnect: 'yes' },
  { code: 1006, name: 'ABNORMAL', meaning: 'no close frame: network loss, server gone, handshake refused (browsers cannot tell which); never sent, only seen', reconnect: 'yes' },
  { code: 1008, name: 'POLICY', meaning: 'policy violation (ws: a flood of tiny fragments)', reconnect: 'no' },
  { code: 1009, name: 'TOO_LARGE', meaning: 'frame over `maxPayload`', reconnect: 'no' },
  { code: 1011, name: 'INTERNAL', meaning: 'server error during setup (`autoJoin` threw)', reconnect: 'yes' },
  { code: 1013, name: 'TRY_AGAIN_LATER', meaning: 'setup could not be completed safely (over 1,024 disconnects came by during it)', reconnect: 'yes' },
  { code: 4400, name: 'REPEATED_BAD_FRAMES', meaning: 'more than `maxBadFrames` malformed frames in a minute', reconnect: 'no' },
  { code: 4401, name: 'UNAUTHORIZED', meaning: 'token expired or revoked', reconnect: 'with-new-token' },
  { code: 4403, name: 'FORBIDDEN', meaning: 'forbidden', reconnect: 'no' },
  { code: 4408, name: 'SLOW_CONSUMER', meaning: 'slow consumer: more than `maxBufferedBytes` waiting for the client', reconnect: 'yes' },
  { code: 4429, name: 'FLOODING', meaning: 'sustained flooding: past twice `messageRateLimit`', reconnect: 'yes' }
] as const satisfies ReadonlyArray<{ code: number, name: string, meaning: string, reconnect: ReconnectRule }>

type CloseCodeName = typeof CLOSE_CODE_TABLE[number]['name']

/** The close codes by name. */
export const CLOSE_CODES = Object.fromEntries(CLOSE_CODE_TABLE.map(({ name, code }) => [name, code])) as {
  readonly [Name in CloseCodeName]: Extract<typeof CLOSE_CODE_TABLE[number], { name: Name }>['code']
}

const RECONNECT_RULES: ReadonlyMap<number, ReconnectRule> = new Map(CLOSE_CODE_TABLE.map(({ code, reconnect }) => [code, reconnect]))

/** The reconnect rule of a close code; a code not in the table is taken as recoverable. */
export function reconnectRule (code: number): ReconnectRule {
  return RECONNECT_RULES.get(code) ?? 'yes'
}
