import type { FastifyBaseLogger } from 'fastify'
import { isRealtimeError, RealtimeError } from '../errors'

/**
 * What a failed request to one of the plugin's endpoints (a /ws handshake, an engine.io request) is
 * answered with. A RealtimeError is its own answer. An error that carries a 4xx status was raised
 * on purpose by Fastify or a plugin (a bad request, @fastify/rate-limit, an app hook refusing the
 * request): undefined, so Fastify's error handler answers it as it would anywhere in the app.
 * Anything else is unexpected, and its message may hold secrets: it is logged, once, here, and the
 * client gets a generic INTERNAL, never the message.
 */
export function handshakeRefusal (error: unknown, log: FastifyBaseLogger): RealtimeError | undefined {
  if (isRealtimeError(error)) return error
  if (isClientError(error)) return undefined
  log.error({ err: error }, 'fastify-realtime: a handshake failed unexpectedly')
  return new RealtimeError('INTERNAL')
}

function isClientError (error: unknown): boolean {
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500
}
