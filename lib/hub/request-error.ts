import { RealtimeError } from '../errors'
import type { Gateway } from '../gateway'
import type { ConnectionId } from '../types'

/**
 * What a failed client request is answered with, on either transport. A RealtimeError is the
 * client's answer; anything else (a `canJoin` or handler that throws) is the app's bug: it is
 * logged with `what` failed, and the client gets INTERNAL.
 */
export function asRealtimeError (gateway: Pick<Gateway, 'log'>, connectionId: ConnectionId, err: unknown, what: string): RealtimeError {
  if (err instanceof RealtimeError) return err
  gateway.log.error({ err, connectionId }, `fastify-realtime: ${what}`)
  return new RealtimeError('INTERNAL')
}
