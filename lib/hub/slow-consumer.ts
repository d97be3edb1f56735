import type { Gateway } from '../gateway'
import type { ConnectionId } from '../types'

/**
 * Counts and logs a client that fell more than `maxBufferedBytes` behind; each transport then closes
 * it in its own way (4408 on `/ws`, a dropped transport on Socket.IO).
 */
export function reportSlowConsumer (gateway: Pick<Gateway, 'stats' | 'log'>, connectionId: ConnectionId, bufferedBytes: number): void {
  gateway.stats.slowConsumerDisconnects++
  gateway.log.warn({ connectionId, bufferedBytes }, 'fastify-realtime: closing a slow consumer')
}
