import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'

/** The subprotocol the raw WebSocket endpoint speaks; the server selects it when the client offers it. */
export const WS_SUBPROTOCOL = 'realtime.v1'

/**
 * A browser cannot set headers on a WebSocket, so it may carry the token as a subprotocol:
 * `new WebSocket(url, ['realtime.v1', 'bearer.' + token])`. JWT characters are all valid there.
 */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.'

const BEARER_HEADER = /^Bearer\s+(\S+)\s*$/i
const BEARER_SCHEME = /^Bearer(\s|$)/i

/**
 * A credential that was sent but cannot be a token (two `?token=` values, an `Authorization: Bearer`
 * header that is not one token): refused like a bad token, never taken for no token at all, which
 * `auth.required: false` would admit as anonymous.
 */
export const MALFORMED_TOKEN = Symbol('malformed token')

/** What a handshake carries: a token, none, or one that is malformed. */
export type PresentedToken = string | undefined | typeof MALFORMED_TOKEN

/** The token of an `Authorization: Bearer …` header value; other schemes are no token. */
export function bearerToken (authorization: unknown): PresentedToken {
  if (typeof authorization !== 'string' || !BEARER_SCHEME.test(authorization)) return undefined
  return BEARER_HEADER.exec(authorization)?.[1] ?? MALFORMED_TOKEN
}

/** A token given as a value of unknown shape (a query parameter, an auth field): empty is none, a non-string malformed. */
export function tokenValue (value: unknown): PresentedToken {
  if (value === undefined || value === null || value === '') return undefined
  return typeof value === 'string' ? value : MALFORMED_TOKEN
}

/** Finds the token of a handshake: `Authorization: Bearer`, then `?token=`, then the subprotocol. */
export function extractToken (request: FastifyRequest): PresentedToken {
  const fromHeader = bearerToken(request.headers.authorization)
  if (fromHeader !== undefined) return fromHeader
  const fromQuery = tokenValue((request.query as Record<string, unknown> | undefined)?.token)
  if (fromQuery !== undefined) return fromQuery
  const protocols = request.headers['sec-websocket-protocol']
  if (typeof protocols === 'string') {
    for (const protocol of protocols.split(',')) {
      const trimmed = protocol.trim()
      if (trimmed.startsWith(BEARER_SUBPROTOCOL_PREFIX) && trimmed.length > BEARER_SUBPROTOCOL_PREFIX.length) {
        return trimmed.slice(BEARER_SUBPROTOCOL_PREFIX.length)
      }
    }
  }
  return undefined
}

/** Picks the subprotocol to answer with; never one that carries a token. */
export function selectSubprotocol (offered: Set<string>): string | false {
  return offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false
}

type ProtocolChoice = (offered: Set<string>, request: IncomingMessage) => string | false

/**
 * For a ws server the app made (it registered @fastify/websocket itself): the protocol's own
 * subprotocol when offered, otherwise what the app's `handleProtocols` (or ws's default, the first
 * offered) picks, unless that carries a token. Left alone, ws would answer a client that offers
 * `bearer.<token>` first with the token in the 101's `Sec-WebSocket-Protocol`, where proxies log it.
 */
export function guardSubprotocols (options: { handleProtocols?: ProtocolChoice | null }): void {
  // ws's default is null.
  const appChoice = options.handleProtocols ?? undefined
  options.handleProtocols = (offered, request) => {
    if (offered.has(WS_SUBPROTOCOL)) return WS_SUBPROTOCOL
    const chosen = appChoice === undefined ? offered.values().next().value ?? false : appChoice(offered, request)
    return typeof chosen === 'string' && chosen.startsWith(BEARER_SUBPROTOCOL_PREFIX) ? false : chosen
  }
}
