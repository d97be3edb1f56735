import type { FastifyRequest } from 'fastify'
import { RealtimeError } from '../errors'
import type { OriginPolicy } from '../options'

/**
 * Refuses handshakes from origins outside the allowlist: a browser sends `Origin` on every
 * WebSocket and cross-site request, and CORS alone does not stop cross-site WebSocket hijacking.
 * Requests without `Origin` come from non-browser clients, which cannot be hijacked that way.
 */
export function createOriginCheck (policy: OriginPolicy): (request: FastifyRequest) => Promise<void> {
  const isAllowed = typeof policy === 'function' ? policy : (origin: string) => policy.includes(origin)
  return async function checkOrigin (request) {
    const origin = request.headers.origin
    if (origin !== undefined && !isAllowed(origin)) throw new RealtimeError('FORBIDDEN', 'Origin not allowed')
  }
}
