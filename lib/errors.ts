/**
 * Every error the plugin produces, in one place.
 *
 * A wire code is what a client sees: in an `error` frame, in the JSON body of a refused handshake,
 * or as `err.data.code` of a Socket.IO `connect_error`. The same row says which HTTP status answers
 * it before the upgrade and which close code ends a connection for it after the upgrade.
 */

export const WIRE_ERRORS = {
  BAD_REQUEST: { status: 400, closeCode: 4400, message: 'Malformed frame' },
  UNAUTHORIZED: { status: 401, closeCode: 4401, message: 'Authentication required' },
  TOKEN_EXPIRED: { status: 401, closeCode: 4401, message: 'Token expired' },
  FORBIDDEN: { status: 403, closeCode: 4403, message: 'Forbidden' },
  NOT_FOUND: { status: 404, closeCode: null, message: 'No handler for this event' },
  TOO_MANY_ROOMS: { status: 409, closeCode: null, message: 'Room limit reached for this connection' },
  RATE_LIMITED: { status: 429, closeCode: 4429, message: 'Rate limit exceeded' },
  SLOW_CONSUMER: { status: 503, closeCode: 4408, message: 'Client is not reading fast enough' },
  INTERNAL: { status: 500, closeCode: 1011, message: 'Internal error' }
} as const

export type WireErrorCode = keyof typeof WIRE_ERRORS

/** WebSocket close codes the plugin sends, named. */
export const CLOSE_CODES = {
  SERVER_SHUTDOWN: 1001,
  POLICY: 1008,
  TOO_LARGE: 1009,
  INTERNAL: 1011,
  REPEATED_BAD_FRAMES: WIRE_ERRORS.BAD_REQUEST.closeCode,
  UNAUTHORIZED: WIRE_ERRORS.UNAUTHORIZED.closeCode,
  FORBIDDEN: WIRE_ERRORS.FORBIDDEN.closeCode,
  SLOW_CONSUMER: WIRE_ERRORS.SLOW_CONSUMER.closeCode,
  FLOODING: WIRE_ERRORS.RATE_LIMITED.closeCode
} as const

/** An error a client caused; carries its wire code and maps to an HTTP status or a close code. */
export class RealtimeError extends Error {
  readonly code: WireErrorCode
  readonly statusCode: number

  constructor (code: WireErrorCode, message: string = WIRE_ERRORS[code].message) {
    super(message)
    this.name = 'RealtimeError'
    this.code = code
    this.statusCode = WIRE_ERRORS[code].status
  }

  /** The JSON body sent with a refused handshake (Fastify's error shape plus our code). */
  toHttpBody (): { statusCode: number, code: WireErrorCode, error: string, message: string } {
    return { statusCode: this.statusCode, code: this.code, error: this.name, message: this.message }
  }
}

export function isRealtimeError (value: unknown): value is RealtimeError {
  return value instanceof RealtimeError
}

/**
 * Thrown at register time (or by a server-side API call) when the app passes something invalid,
 * or when the Redis it named cannot be reached at register time.
 */
export class RealtimeConfigError extends Error {
  readonly code: string

  constructor (code: 'FST_REALTIME_INVALID_OPTION' | 'FST_REALTIME_INVALID_ARGUMENT' | 'FST_REALTIME_DUPLICATE_HANDLER' | 'FST_REALTIME_REDIS_UNAVAILABLE', message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RealtimeConfigError'
    this.code = code
  }
}

export function invalidOption (name: string, expected: string): RealtimeConfigError {
  return new RealtimeConfigError('FST_REALTIME_INVALID_OPTION', `fastify-realtime: option "${name}" must be ${expected}`)
}

export function invalidArgument (name: string, expected: string): RealtimeConfigError {
  return new RealtimeConfigError('FST_REALTIME_INVALID_ARGUMENT', `fastify-realtime: ${name} must be ${expected}`)
}
