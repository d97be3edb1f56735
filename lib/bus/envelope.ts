/**
 * What nodes tell each other through a bus: a typed union keyed on `type`, each tagged with the
 * node that sent it so a node can ignore its own messages.
 */
import type { ConnectionId, NodeId, Room } from '../types'

/** Who an emit is for. Empty `rooms` means every connection. */
export interface EmitTarget {
  rooms: readonly Room[]
  except: readonly Room[]
  /** A connection that must not receive it (the sender of a client relay). */
  exceptConnectionId?: ConnectionId
  /** Addressed to a user rather than a room: the `event` frame carries no `room` field. */
  direct: boolean
}

export interface EmitEnvelope extends EmitTarget {
  type: 'emit'
  origin: NodeId
  event: string
  /** The payload, already serialised once by the sending node. */
  dataJson: string
}

export type Envelope = EmitEnvelope
