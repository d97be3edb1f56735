import type { WelcomePayload } from '../protocol/frames'
import type { Room } from '../types'
import type { RealtimeClientError } from './errors'

/** A welcomed connection ended. `willReconnect` says whether an attempt to reconnect follows. */
export interface DisconnectEvent {
  code: number
  reason: string
  willReconnect: boolean
}

/** An attempt is scheduled in `delay` ms, after a close with `code`/`reason`. */
export interface ReconnectingEvent {
  /** Counts from 1 after each welcome. */
  attempt: number
  delay: number
  code: number
  reason: string
}

/** A reconnect succeeded and every remembered room was re-joined or failed to be. */
export interface ReconnectEvent {
  /** Attempts it took. */
  attempts: number
  rejoined: Room[]
  /**
   * Rooms whose re-join failed this time. `forgotten`: the server refused the room (`FORBIDDEN`,
   * `TOO_MANY_ROOMS`, `BAD_REQUEST`) and the client no longer remembers it; after any other error
   * (`TIMEOUT`, `RATE_LIMITED`, `INTERNAL`) it stays in `client.rooms`, to be re-joined on the next
   * reconnect or with `join()` now.
   */
  failed: Array<{ room: Room, error: RealtimeClientError, forgotten: boolean }>
}

/** The client stopped trying after failed attempts; `code`/`reason` are those of the last close. */
export interface ReconnectFailedEvent {
  attempts: number
  code: number
  reason: string
}

/** Events the client itself emits; their names cannot be used by server events. */
export interface LifecycleEvents {
  /** Every welcome frame: the first connect and each reconnect (before rooms are re-joined). */
  welcome: WelcomePayload
  disconnect: DisconnectEvent
  reconnecting: ReconnectingEvent
  reconnect: ReconnectEvent
  reconnect_failed: ReconnectFailedEvent
  /** `error` frames not tied to a request, unreadable server frames, a failing token provider. */
  error: RealtimeClientError
}

export type { EventsMap, DefaultEventsMap, EventNames, EventData, EventAck, DataArgs, ServerEventListener } from '../typed-events'

export type LifecycleListener<E extends keyof LifecycleEvents> = (event: LifecycleEvents[E]) => void
