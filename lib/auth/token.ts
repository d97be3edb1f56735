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
