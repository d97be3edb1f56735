/**
 * Every error the plugin produces, in one place. The wire and close codes themselves are in
 * `lib/protocol/codes.ts`, which the client shares.
 */
import { WIRE_ERRORS, type WireErrorCode } from './protocol/codes'

export { WIRE_ERRORS, CLOSE_CODES, type WireErrorCode } from './protocol/codes'

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

/**
 * "must be a function"; a rule that says what the value must not be ("not the user: room of another
 * user") reads "must not be …" rather than "must be not …".
 */
function mustBe (expected: string): string {
  return expected.startsWith('not ') ? `must not be ${expected.slice('not '.length)}` : `must be ${expected}`
}

export function invalidOption (name: string, expected: string): RealtimeConfigError {
  return new RealtimeConfigError('FST_REALTIME_INVALID_OPTION', `fastify-realtime: option "${name}" ${mustBe(expected)}`)
}

export function invalidArgument (name: string, expected: string): RealtimeConfigError {
  return new RealtimeConfigError('FST_REALTIME_INVALID_ARGUMENT', `fastify-realtime: ${name} ${mustBe(expected)}`)
}

/** An option the plugin does not know; `suggestion` is the known option a typo most likely meant. */
export function unknownOption (name: string, suggestion: string | undefined, known: readonly string[]): RealtimeConfigError {
  const hint = suggestion === undefined ? `the known options are ${known.join(', ')}` : `did you mean "${suggestion}"?`
  return new RealtimeConfigError('FST_REALTIME_INVALID_OPTION', `fastify-realtime: unknown option "${name}" (${hint})`)
}
