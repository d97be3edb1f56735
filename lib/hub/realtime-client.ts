import type { DataArgs, DefaultEventsMap, EventNames, EventsMap } from '../typed-events'
import type { ConnectionId, RealtimeUser, Room, TransportName } from '../types'
import type { BroadcastOperator } from './broadcast-operator'

/**
 * A connected client as handlers and hooks see it, whatever transport it used. `ServerEvents`
 * (the app's `ServerToClientEvents`, once declared) types what `emit()` and `to().emit()` accept.
 */
export interface RealtimeClient<ServerEvents extends EventsMap = DefaultEventsMap> {
  readonly id: ConnectionId
  /** The verified token payload, or null for an anonymous client. */
  readonly user: RealtimeUser | null
  readonly userId: string | null
  readonly transport: TransportName
  readonly rooms: ReadonlySet<Room>
  /** Adds the client to a room on the server's authority (no `canJoin` check). */
  join (room: Room): void
  leave (room: Room): void
  /** Sends an event to this client only. */
  emit<E extends EventNames<ServerEvents>> (event: E, ...[data]: DataArgs<ServerEvents, E>): void
  /** Selects members of these rooms on every node, this client excluded. */
  to (rooms: Room | readonly Room[]): BroadcastOperator<ServerEvents>
  /** Closes the connection (ws: 1000; Socket.IO: server-side disconnect). */
  disconnect (): void
}
