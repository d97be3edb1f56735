import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RealtimeError } from '../errors'
import type { RateLimit } from './rate-limit'

type HandshakeThrottle = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

/**
 * The per-IP handshake limit, built on @fastify/rate-limit: one counter per IP shared by every
 * endpoint of the plugin. Used as a route `onRequest` hook, so it answers 429 with `retry-after`
 * before the upgrade and counts handshakes that later fail authentication (auth is preValidation).
 * The key is `request.ip`: `X-Forwarded-For` counts only when the app sets `trustProxy`.
 */
export async function createHandshakeThrottle (instance: FastifyInstance, limit: RateLimit): Promise<HandshakeThrottle> {
  if (!instance.hasDecorator('rateLimit')) await instance.register(rateLimit, { global: false })
  return instance.rateLimit({
    max: limit.max,
    timeWindow: limit.timeWindow,
    errorResponseBuilder: (_request, context) => new RealtimeError('RATE_LIMITED', `Too many handshakes from this address, retry in ${context.after}`)
  }) as HandshakeThrottle
}
