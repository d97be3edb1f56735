import { CLOSE_CODES, reconnectRule } from '../protocol/codes'

/** The close code a token the server no longer accepts gets. */
export const UNAUTHORIZED_CLOSE_CODE = CLOSE_CODES.UNAUTHORIZED

/** Reported when a connection gave no welcome in time, or dropped without a close frame. */
export const ABNORMAL_CLOSE_CODE = CLOSE_CODES.ABNORMAL

/** Sent by the client when it lets a connection go. */
export const NORMAL_CLOSE_CODE = CLOSE_CODES.NORMAL

/**
 * Whether a close allows another attempt, by the protocol's reconnect rule (lib/protocol/codes.ts).
 * A 4401 does only when a token provider can be asked for a new token; whether it gives a
 * different one is checked before the next attempt.
 */
export function isRecoverableClose (code: number, hasTokenProvider: boolean): boolean {
  const rule = reconnectRule(code)
  return rule === 'with-new-token' ? hasTokenProvider : rule === 'yes'
}
