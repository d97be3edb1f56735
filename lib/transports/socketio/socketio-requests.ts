import { RealtimeError } from '../../errors'
import type { Gateway } from '../../gateway'
import { InboundQueue, type Handling } from '../../hub/inbound-queue'
import type { ConnectionId } from '../../types'
import type { Ack } from './socketio-refusal'

/** One request of a Socket.IO client, as it waits in its connection's InboundQueue. */
export interface SocketIoRequest {
  readonly task: () => Promise<void>
  /** Whether the requests after it wait for it (a join, a token refresh). */
  readonly holdsQueue: boolean
  readonly ack: Ack | undefined
}

/**
 * Requests of one connection that may wait or run at once. Well above what a client has in flight
 * in normal use (requests after a `join` wait for it), small enough that a connection holds at most
 * this many payloads.
 */
export const MAX_PENDING_REQUESTS = 32

/**
 * The queue of every Socket.IO connection. Requests count from arrival until done: behind a
 * `canJoin` or handler that hangs, the rest are refused RATE_LIMITED instead of piling up (each may
 * carry a payload of up to maxHttpBufferSize).
 */
export const REQUESTS = new InboundQueue<SocketIoRequest>({
  sizeOf: () => 1,
  countsUntil: 'done'
})

/** What a request the queue has no room for is refused with. */
export function tooManyWaiting (): RealtimeError {
  return new RealtimeError('RATE_LIMITED', 'Too many requests waiting; request dropped')
}

/** Runs a request whose turn came; its handling, which never rejects, is what the queue waits on. */
export function runRequest (gateway: Gateway, connectionId: ConnectionId, request: SocketIoRequest): Handling {
  const done = request.task().catch((err: unknown) => {
    // Tasks answer their own errors; reaching here is a bug of ours, and it must cost one request only.
    gateway.log.error({ err, connectionId }, 'fastify-realtime: failed to handle a Socket.IO event')
  })
  return { done, holdsQueue: request.holdsQueue }
}
