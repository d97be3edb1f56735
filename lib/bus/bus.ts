import type { Envelope } from './envelope'
import type { Room } from '../types'

export type EnvelopeListener = (envelope: Envelope) => void

/**
 * Carries envelopes between the nodes of a cluster. One Bus object serves one node.
 *
 * Delivery is at-most-once and unordered across publishers; envelopes from one publisher arrive in
 * the order they were published. A node may also receive its own envelopes; the hub ignores them.
 */
export interface Bus {
  /**
   * Hands an envelope to the other nodes: those subscribed to its room when it targets exactly one
   * room, every node otherwise. Resolves true once the bus has taken it, false when it could not
   * (for example while Redis is unreachable). Never rejects.
   */
  publish (envelope: Envelope): Promise<boolean>
  /** Starts receiving envelopes addressed to this room alone. The hub calls it when the room gets its first local member. */
  subscribe (room: Room): void
  /** Stops receiving a room's envelopes. The hub calls it when the room's last local member leaves. */
  unsubscribe (room: Room): void
  /** Sets the single listener for incoming envelopes. Listener errors are the listener's to handle. */
  setListener (listener: EnvelopeListener): void
  /** Releases everything the bus opened. Nothing is delivered after it resolves. */
  close (): Promise<void>
}
