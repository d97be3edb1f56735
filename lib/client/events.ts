import type { WelcomePayload as ProtocolWelcomePayload } from '../protocol/frames'
import type { EventData, EventsMap } from '../typed-events'
import type { Room } from '../types'
import type { WelcomeRecovery } from './client-codec'
import type { RealtimeClientError } from './errors'
import type { EventPosition, StreamPosition } from './positions'

/** The welcome frame's payload: `{ connectionId, user, rooms }`, and `positions`/`resumed` from a server with `recovery` on. */
export type WelcomePayload = ProtocolWelcomePayload & WelcomeRecovery

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
  /**
   * Every room with history the client followed before the disconnect and is in again: true when
   * the server replayed the events it missed, false when the app must reload the room's state (see
   * the `recovered` event). Empty with a server that has `recovery` off.
   */
  recovered: Record<Room, boolean>
}

/**
 * Whether the client has every event of a history room, told once per room after each reconnect
 * and on every `recovery:reset` the server sends.
 */
export interface RecoveredEvent {
  room: Room
  /**
   * True: the events missed while away follow (or none was missed). False: some are lost; the app
   * must reload the room's state from its own backend. Events after `position` follow.
   */
  recovered: boolean
  /** `reconnect`: the outcome of resuming or re-joining the room; `reset`: the server lost the room's stream while connected. */
  cause: 'reconnect' | 'reset'
  /** Where the room's stream stands for the client now; undefined if the new connection's server keeps no history for it. */
  position: StreamPosition | undefined
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
  /** Per history room, after a reconnect and on a `recovery:reset`: whether the client has every event, or must reload the room's state. */
  recovered: RecoveredEvent
  /** `error` frames not tied to a request, unreadable server frames, a failing token provider. */
  error: RealtimeClientError
}

export type { EventsMap, DefaultEventsMap, EventNames, EventData, EventAck, DataArgs } from '../typed-events'

/**
 * A server event listener. `room` is the room the event was sent to, absent for broadcasts and
 * direct sends; `position`, from a server with `recovery` on, is where the event sits in its
 * history room's stream (absent for rooms without history).
 */
export type ServerEventListener<Events extends EventsMap, E extends keyof Events> =
  (data: EventData<Events, E>, room: Room | undefined, position: EventPosition | undefined) => void

export type LifecycleListener<E extends keyof LifecycleEvents> = (event: LifecycleEvents[E]) => void
