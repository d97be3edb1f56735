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

/** The token of an `Authorization: Bearer …` header value. */
export function bearerToken (authorization: unknown): string | undefined {
  if (typeof authorization !== 'string') return undefined
  return BEARER_HEADER.exec(authorization)?.[1]
}

/** Finds the token of a handshake: `Authorization: Bearer`, then `?token=`, then the subprotocol. */
export function extractToken (request: FastifyRequest): string | undefined {
  const fromHeader = bearerToken(request.headers.authorization)
  if (fromHeader !== undefined) return fromHeader
  const query = request.query as Record<string, unknown> | undefined
  if (typeof query?.token === 'string' && query.token !== '') return query.token
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
