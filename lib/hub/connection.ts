import type { Room } from '../types'
import type { BroadcastSink } from './broadcast-operator'
import type { OutboundEvent } from './outbound-event'
import type { RealtimeClient } from './realtime-client'

/** What the hub needs from a connection of either transport. */
export interface Connection extends RealtimeClient {
  /** Written only by the hub, which keeps it in step with its room registry. */
  readonly rooms: Set<Room>
  /** Queues one event for the client. Never throws; preserves the order of calls. */
  deliver (message: OutboundEvent): void
  /** Starts a clean close with a WebSocket close code; the hub hears of it through `unregister`. */
  close (code: number, reason: string): void
  /** Ends the connection at once, without a close handshake. */
  terminate (): void
  /** Whether the token it connected (or last refreshed) with has expired; false without expiry. */
  tokenExpired (): boolean
  /** Called by the shared heartbeat timer once per interval. */
  onHeartbeat (): void
}

/** What a connection needs from the hub to implement the client API. */
export interface Membership extends BroadcastSink {
  join (connection: Connection, room: Room): void
  leave (connection: Connection, room: Room): void
}
