import { BEARER_SUBPROTOCOL_PREFIX, WS_SUBPROTOCOL } from '../protocol/subprotocols'
import { RealtimeClientError } from './errors'
import type { Timers } from './timers'

/** A token, or a function asked for one before every connection attempt (so it can be refreshed). */
export type TokenSource = string | (() => string | Promise<string>)

/** A token being read for one attempt; `cancel` stops its timer (the attempt is no longer wanted). */
export interface TokenRead {
  token: Promise<string | undefined>
  cancel: () => void
}

/**
 * The token for the next attempt; an empty string means none. A provider that throws, rejects or
 * has not answered within `timeoutMs` (a refresh request that hangs) fails with `TOKEN_UNAVAILABLE`.
 */
export function readToken (source: TokenSource | undefined, timeoutMs: number, timers: Timers): TokenRead {
  if (typeof source !== 'function') return { token: Promise.resolve(usable(source)), cancel: () => {} }
  let timer: unknown
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = timers.setTimeout(() => reject(new RealtimeClientError('TOKEN_UNAVAILABLE', `The token provider did not answer within ${timeoutMs} ms`)), timeoutMs)
  })
  const provided = (async () => usable(await source()))().catch((err: unknown) => {
    throw new RealtimeClientError('TOKEN_UNAVAILABLE', `The token provider failed: ${err instanceof Error ? err.message : String(err)}`, undefined, err)
  })
  const cancel = (): void => timers.clearTimeout(timer)
  return { token: Promise.race([provided, timedOut]).finally(cancel), cancel }
}

function usable (token: unknown): string | undefined {
  return typeof token === 'string' && token !== '' ? token : undefined
}

/**
 * Browsers cannot set headers on a WebSocket, so the token travels as a second subprotocol next
 * to the protocol's own; the server answers with `realtime.v1` and never echoes the token.
 */
export function subprotocolsFor (token: string | undefined): string[] {
  return token === undefined ? [WS_SUBPROTOCOL] : [WS_SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX + token]
}
