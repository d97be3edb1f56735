import { BEARER_SUBPROTOCOL_PREFIX, WS_SUBPROTOCOL } from '../auth/token'

/** A token, or a function asked for one before every connection attempt (so it can be refreshed). */
export type TokenSource = string | (() => string | Promise<string>)

/** The token for the next attempt; an empty string means none. Throws what the provider throws. */
export async function readToken (source: TokenSource | undefined): Promise<string | undefined> {
  const token = typeof source === 'function' ? await source() : source
  return typeof token === 'string' && token !== '' ? token : undefined
}

/**
 * Browsers cannot set headers on a WebSocket, so the token travels as a second subprotocol next
 * to the protocol's own; the server answers with `realtime.v1` and never echoes the token.
 */
export function subprotocolsFor (token: string | undefined): string[] {
  return token === undefined ? [WS_SUBPROTOCOL] : [WS_SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX + token]
}
