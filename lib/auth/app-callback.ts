import type { FastifyBaseLogger } from 'fastify'
import { RealtimeError } from '../errors'

/**
 * Runs one of the app's auth callbacks (`auth.userId`, `auth.trusted`). Whatever it throws is the
 * app's bug, and its message may hold anything (a connection string, a user's data): it goes to the
 * log once, here, and the client only ever gets a generic INTERNAL, on every transport and on a
 * token refresh, even when the thrown value carries an HTTP status of its own.
 */
export async function callAppCallback<T> (log: FastifyBaseLogger, name: string, callback: () => T | Promise<T>): Promise<T> {
  try {
    return await callback()
  } catch (err) {
    log.error({ err }, `fastify-realtime: ${name} threw`)
    throw new RealtimeError('INTERNAL')
  }
}
