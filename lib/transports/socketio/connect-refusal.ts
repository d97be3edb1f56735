import type { ExtendedError, Socket } from 'socket.io'
import { RealtimeError } from '../../errors'
import type { Gateway } from '../../gateway'
import { endSessionWhenWritten } from './end-session'

/** A refused namespace connection as socket.io-client reports it: `connect_error` with `err.data.code`. */
export function connectError (gateway: Gateway, err: unknown): ExtendedError {
  let refusal: RealtimeError
  if (err instanceof RealtimeError) {
    refusal = err
  } else {
    gateway.log.error({ err }, 'fastify-realtime: Socket.IO authentication failed unexpectedly')
    refusal = new RealtimeError('INTERNAL')
  }
  const error: ExtendedError = new Error(refusal.message)
  error.data = { code: refusal.code }
  return error
}

/**
 * After a refused authentication the whole engine.io session ends (once the `connect_error` is
 * flushed), so every further attempt is a new handshake that the per-IP throttle counts instead
 * of a free retry over the same session.
 */
export function endSessionAfterRefusal (socket: Socket): void {
  // Socket.IO writes the CONNECT_ERROR packet on the next tick after `next(err)`.
  process.nextTick(() => { endSessionWhenWritten(socket.conn) })
}
