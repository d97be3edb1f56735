import { WIRE_ERRORS, type WireErrorCode } from '../protocol/codes'

/**
 * Codes the client itself produces, besides the server's wire codes:
 * - `TIMEOUT`: no answer within `ackTimeout`;
 * - `DISCONNECTED`: not connected when asked, the connection dropped before the answer, or the client
 *   stopped (`close()`, a terminal close code, `maxAttempts` reached); carries the close code when there was one;
 * - `PROTOCOL_ERROR`: the server sent something this client cannot read;
 * - `INVALID_OPTION`: `createClient` was given a bad option, or the WebSocket constructor refused
 *   the URL or the token;
 * - `TOKEN_UNAVAILABLE`: the token provider threw, rejected, or did not answer within `connectTimeout`.
 */
export type LocalErrorCode = 'TIMEOUT' | 'DISCONNECTED' | 'PROTOCOL_ERROR' | 'INVALID_OPTION' | 'TOKEN_UNAVAILABLE'

export type ClientErrorCode = WireErrorCode | LocalErrorCode

export interface CloseDetails {
  /** The WebSocket close code. */
  code: number
  reason: string
}

/** Every error the client rejects with or reports, with a stable `code`. */
export class RealtimeClientError extends Error {
  readonly code: ClientErrorCode
  /** Set on `DISCONNECTED` errors caused by a close. */
  readonly close: CloseDetails | undefined

  constructor (code: ClientErrorCode, message: string, close?: CloseDetails, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'RealtimeClientError'
    this.code = code
    this.close = close
  }
}

export function isWireErrorCode (value: unknown): value is WireErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(WIRE_ERRORS, value)
}

export function invalidClientOption (name: string, expected: string): RealtimeClientError {
  return new RealtimeClientError('INVALID_OPTION', `fastify-realtime/client: option "${name}" must be ${expected}`)
}
