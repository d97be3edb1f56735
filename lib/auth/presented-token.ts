/**
 * A credential that was sent but cannot be a token (two `?token=` values, an `Authorization: Bearer`
 * header that is not one token, two different tokens in two places): refused like a bad token,
 * never taken for no token at all, which `auth.required: false` would admit as anonymous.
 */
export const MALFORMED_TOKEN = Symbol('malformed token')

/** What a handshake carries: a token, none, or one that is malformed. */
export type PresentedToken = string | undefined | typeof MALFORMED_TOKEN

/** A token given as a value of unknown shape (an auth field, a frame's field): empty is none, a non-string malformed. */
export function tokenValue (value: unknown): PresentedToken {
  if (value === undefined || value === null || value === '') return undefined
  return typeof value === 'string' ? value : MALFORMED_TOKEN
}

/**
 * The one token of a handshake that may carry it in several places (a header, the query, a
 * subprotocol, Socket.IO's `auth`). Two different tokens are malformed rather than one picked by
 * precedence: a proxy or the app may read the other, and the decision must be the same for all.
 */
export function oneCredential (sources: readonly PresentedToken[]): PresentedToken {
  let token: string | undefined
  for (const source of sources) {
    if (source === MALFORMED_TOKEN) return MALFORMED_TOKEN
    if (source === undefined) continue
    if (token !== undefined && token !== source) return MALFORMED_TOKEN
    token = source
  }
  return token
}
