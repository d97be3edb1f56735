import type { ConnectionId, RealtimeUser, Room, TransportName } from '../types'
import type { BroadcastOperator } from './broadcast-operator'

/** A connected client as handlers and hooks see it, whatever transport it used. */
export interface RealtimeClient {
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
  emit (event: string, data?: unknown): void
  /** Selects members of these rooms on every node, this client excluded. */
  to (rooms: Room | readonly Room[]): BroadcastOperator
  /** Closes the connection (ws: 1000; Socket.IO: server-side disconnect). */
  disconnect (): void
}
