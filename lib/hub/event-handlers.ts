import type { FastifyBaseLogger } from 'fastify'
import { RealtimeConfigError, RealtimeError, invalidArgument } from '../errors'
import { isValidEventName } from '../protocol/names'
import type { RealtimeClient } from './connection'

/** Handles one client event; what it returns (or resolves to) becomes the client's ack. */
export type EventHandler<Data = unknown> = (data: Data, client: RealtimeClient) => unknown

/** Event names a handler may not take: they are protocol messages on one transport or the other. */
const RESERVED_EVENTS = new Set([
  'join', 'leave', 'auth', 'welcome', 'connect', 'connect_error', 'disconnect', 'disconnecting',
  'error', 'newListener', 'removeListener'
])

/** The server's handlers for client events, one per event name. */
export class EventHandlers {
  private readonly handlers = new Map<string, EventHandler>()
  private readonly log: FastifyBaseLogger

  constructor (log: FastifyBaseLogger) {
    this.log = log
  }

  on (event: string, handler: EventHandler): void {
    if (!isValidEventName(event)) throw invalidArgument('event', 'a non-empty string of at most 100 characters without control characters')
    if (RESERVED_EVENTS.has(event)) throw invalidArgument('event', `not a reserved name (${[...RESERVED_EVENTS].join(', ')})`)
    if (typeof handler !== 'function') throw invalidArgument('handler', 'a function')
    if (this.handlers.has(event)) {
      throw new RealtimeConfigError('FST_REALTIME_DUPLICATE_HANDLER', `fastify-realtime: a handler for "${event}" is already registered`)
    }
    this.handlers.set(event, handler)
  }

  /**
   * Runs the handler for a client event. Rejects with NOT_FOUND when there is none and with
   * INTERNAL when it throws; the original error is logged here, once, and never sent to the client.
   */
  async dispatch (client: RealtimeClient, event: string, data: unknown): Promise<unknown> {
    const handler = this.handlers.get(event)
    if (handler === undefined) throw new RealtimeError('NOT_FOUND', `No handler for event "${event}"`)
    try {
      return await handler(data, client)
    } catch (err) {
      if (err instanceof RealtimeError) throw err
      this.log.error({ err, event, connectionId: client.id }, 'fastify-realtime: event handler failed')
      throw new RealtimeError('INTERNAL')
    }
  }
}
