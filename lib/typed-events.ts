/**
 * Event maps typed as in Socket.IO, shared by the server API, the emitter and the client. Each
 * event name maps to a handler signature, written as Socket.IO users write them:
 *
 *   interface ServerToClientEvents { 'order:status_updated': (data: { status: string }) => void }
 *   interface ClientToServerEvents { 'chat:send': (data: { text: string }, ack: (res: { id: string }) => void) => void }
 *
 * A client event's ack is the argument of its `ack` callback; a map written in this package's
 * earlier style, where the handler's return type is the ack (`(data: D) => R`), still works.
 */

export type EventsMap = object

/** What an untyped API accepts: any event name, data and ack of unknown type. */
export type DefaultEventsMap = Record<string, (data: unknown) => unknown>

/** The map an app declared, or the loose default while it declared none (an empty interface). */
export type DeclaredOrDefault<Events extends EventsMap> = [keyof Events] extends [never] ? DefaultEventsMap : Events

export type EventNames<Events extends EventsMap> = keyof Events & string

type ParametersOf<F> = F extends (...args: infer P) => unknown ? P : never

export type EventData<Events extends EventsMap, E extends keyof Events> =
  Events[E] extends (data: infer Data, ...rest: never[]) => unknown ? Data : unknown

/** The ack: the argument of a Socket.IO-style `ack` callback, else the handler's (awaited) return type. */
export type EventAck<Events extends EventsMap, E extends keyof Events> =
  ParametersOf<Events[E]> extends [unknown, (response: infer Response, ...rest: never[]) => unknown, ...unknown[]]
    ? Response
    : Events[E] extends (...args: never[]) => infer Ack ? Awaited<Ack> : unknown

/**
 * What a server handler of a client event must return (or resolve to): the declared ack, or
 * anything for an event declared without one (whatever it returns, nobody waits for it).
 */
export type HandlerResult<Events extends EventsMap, E extends keyof Events> =
  ParametersOf<Events[E]> extends [unknown, (response: infer Response, ...rest: never[]) => unknown, ...unknown[]]
    ? Response
    : Events[E] extends (...args: never[]) => infer Ack ? ([Ack] extends [void] ? unknown : Awaited<Ack>) : unknown

/** `data` may be left out when the event's data type accepts undefined. */
export type DataArgs<Events extends EventsMap, E extends keyof Events> =
  undefined extends EventData<Events, E> ? [data?: EventData<Events, E>] : [data: EventData<Events, E>]
