import type { FastifyBaseLogger } from 'fastify'
import { RealtimeError } from '../errors'
import type { ConnectionId } from '../types'

/** What answering an ack needs to know of its connection. */
interface AckingConnection {
  readonly id: ConnectionId
  readonly gateway: { readonly log: FastifyBaseLogger }
}

/**
 * Sends a request's answer with `send`. A value JSON cannot carry (a handler returned a BigInt, a
 * cycle) makes the encoder throw before anything is written: that is logged, and the request is
 * answered with a generic INTERNAL through `refuse` instead. The one such path for both transports.
 */
export function sendAck (connection: AckingConnection, send: () => void, refuse: (error: RealtimeError) => void): void {
  try {
    send()
  } catch (err) {
    connection.gateway.log.error({ err, connectionId: connection.id }, 'fastify-realtime: ack value is not serialisable')
    refuse(new RealtimeError('INTERNAL'))
  }
}
