import type { FastifyBaseLogger } from 'fastify'
import { RealtimeConfigError, RealtimeError, invalidArgument } from '../errors'
import { HANDLER_EVENT_NAME_RULE, isHandlerEventName } from '../protocol/names'
import type { DefaultEventsMap, EventData, EventsMap, HandlerResult } from '../typed-events'
import type { RealtimeClient } from './realtime-client'

/** Handles one client event; what it returns (or resolves to) becomes the client's ack. */
export type EventHandler<Data = unknown, ServerEvents extends EventsMap = DefaultEventsMap> =
  (data: Data, client: RealtimeClient<ServerEvents>) => unknown

/**
 * The handler of a declared client event: `data` as declared, and a result that must be the ack
 * the client's `ack` callback takes (or a promise of it).
 */
export type TypedEventHandler<ClientEvents extends EventsMap, ServerEvents extends EventsMap, E extends keyof ClientEvents> =
  (data: EventData<ClientEvents, E>, client: RealtimeClient<ServerEvents>) => HandlerResult<ClientEvents, E> | Promise<HandlerResult<ClientEvents, E>>

/** The server's handlers for client events, one per event name. */
export class EventHandlers {
  private readonly handlers = new Map<string, EventHandler>()
  private readonly log: FastifyBaseLogger

  constructor (log: FastifyBaseLogger) {
    this.log = log
  }

  on (event: string, handler: EventHandler): void {
    if (!isHandlerEventName(event)) throw invalidArgument('event', HANDLER_EVENT_NAME_RULE)
    if (typeof handler !== 'function') throw invalidArgument('handler', 'a function')
    if (this.handlers.has(event)) {
      throw new RealtimeConfigError('FST_REALTIME_DUPLICATE_HANDLER', `fastify-realtime: a handler for "${event}" is already registered`)
    }
    this.handlers.set(event, handler)
  }

  has (event: string): boolean {
    return this.handlers.has(event)
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
