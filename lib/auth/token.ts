import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { MALFORMED_TOKEN, oneCredential, type PresentedToken } from './presented-token'
import { BEARER_SUBPROTOCOL_PREFIX, WS_SUBPROTOCOL } from '../protocol/subprotocols'
import { queryToken } from './query-token'

export { MALFORMED_TOKEN, tokenValue, type PresentedToken } from './presented-token'

export { WS_SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX } from '../protocol/subprotocols'

const BEARER_HEADER = /^Bearer\s+(\S+)\s*$/i
const BEARER_SCHEME = /^Bearer(\s|$)/i

/** The token of an `Authorization: Bearer …` header value; other schemes are no token. */
export function bearerToken (authorization: unknown): PresentedToken {
  if (typeof authorization !== 'string' || !BEARER_SCHEME.test(authorization)) return undefined
  return BEARER_HEADER.exec(authorization)?.[1] ?? MALFORMED_TOKEN
}

/**
 * The token of a request's `Authorization` header, read from its raw headers: Node keeps only the
 * first of several, where a proxy or another parser may take the last, so a request that carries
 * more than one is malformed, never read as whichever one comes first.
 */
export function authorizationToken (rawHeaders: readonly string[]): PresentedToken {
  let authorization: string | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() !== 'authorization') continue
    if (authorization !== undefined) return MALFORMED_TOKEN
    authorization = rawHeaders[i + 1]
  }
  return bearerToken(authorization)
}

/**
 * Finds the token of a handshake: `Authorization: Bearer`, `?token=` (read from the raw URL, see
 * queryToken) or a `bearer.` subprotocol. Any of them may carry it; two different ones are malformed.
 */
export function extractToken (request: FastifyRequest): PresentedToken {
  return oneCredential([
    authorizationToken(request.raw.rawHeaders),
    queryToken(request.raw.url ?? ''),
    ...subprotocolTokens(request.headers['sec-websocket-protocol'])
  ])
}

function subprotocolTokens (protocols: unknown): PresentedToken[] {
  if (typeof protocols !== 'string') return []
  const tokens: PresentedToken[] = []
  for (const protocol of protocols.split(',')) {
    const trimmed = protocol.trim()
    if (trimmed.startsWith(BEARER_SUBPROTOCOL_PREFIX) && trimmed.length > BEARER_SUBPROTOCOL_PREFIX.length) {
      tokens.push(trimmed.slice(BEARER_SUBPROTOCOL_PREFIX.length))
    }
  }
  return tokens
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
