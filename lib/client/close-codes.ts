/**
 * Which closes the client recovers from by reconnecting. A code is terminal when trying again
 * would only be refused again or would repeat the fault.
 *
 * | code | meaning | client |
 * | --- | --- | --- |
 * | 1000 | the server disconnected this client on purpose (`client.disconnect()`) | stops |
 * | 1001 | server shutdown or restart | reconnects |
 * | 1006 | abnormal: network loss, server gone, handshake refused (browsers cannot tell which) | reconnects |
 * | 1008 | policy violation | stops |
 * | 1009 | frame too large | stops |
 * | 1011 | server error during setup | reconnects |
 * | 4400 | repeated malformed frames | stops |
 * | 4401 | token expired or revoked | reconnects only if the token provider yields a different token |
 * | 4403 | forbidden | stops |
 * | 4408 | slow consumer | reconnects |
 * | 4429 | sustained flooding | reconnects (after backoff; the server's limits still apply) |
 *
 * Any other code reconnects.
 */
export const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1008, 1009, 4400, 4403])

/** The close code a token the server no longer accepts gets. */
export const UNAUTHORIZED_CLOSE_CODE = 4401

/** Reported when a connection gave no welcome in time, or dropped without a close frame. */
export const ABNORMAL_CLOSE_CODE = 1006

/** Sent by the client when it lets a connection go. */
export const NORMAL_CLOSE_CODE = 1000

/**
 * Whether a close allows another attempt. A 4401 does only when a token provider can be asked
 * for a new token; whether it gives a different one is checked before the next attempt.
 */
export function isRecoverableClose (code: number, hasTokenProvider: boolean): boolean {
  if (code === UNAUTHORIZED_CLOSE_CODE) return hasTokenProvider
  return !TERMINAL_CLOSE_CODES.has(code)
}
