/**
 * What nodes tell each other through a bus: a typed union keyed on `type`, each tagged with the
 * node that sent it so a node can ignore its own messages.
 *
 * Two kinds travel differently: envelopes that select connections by room (`emit`, `join`,
 * `leave`, `disconnect`) go to the nodes with members of the room, or to every node (see
 * routingRoom); `request` and `response` go to one node.
 */
import { isConnectionId } from '../protocol/names'
import type { ConnectionId, NodeId, Room } from '../types'

/** Which connections, on every node, an envelope is about. Empty `rooms` means every connection. */
export interface Selection {
  rooms: readonly Room[]
  except: readonly Room[]
  /** A connection that must not be selected (the sender of a client relay). */
  exceptConnectionId?: ConnectionId
}

/** Who an emit is for. */
export interface EmitTarget extends Selection {
  /** The `event` frames carry no `room` field: the emit is addressed to a user (`toUser`), not a room. */
  omitRoom: boolean
  /** Dropped for a client that has anything waiting to be written to it, instead of queued; never kept in a history. */
  volatile?: true
}

export interface EmitEnvelope extends EmitTarget {
  type: 'emit'
  origin: NodeId
  event: string
  /** The payload, already serialised once by the sending node. */
  dataJson: string
}

/** The selected connections join (or leave) `targetRooms`, on whichever node they are. */
interface RoomChangeEnvelope extends Selection {
  type: 'join' | 'leave'
  origin: NodeId
  targetRooms: readonly Room[]
}

/** The selected connections are disconnected, on whichever node they are. */
interface DisconnectEnvelope extends Selection {
  type: 'disconnect'
  origin: NodeId
}

/** A question every node answers about its own connections; the asker combines the answers. */
export type ClusterQuery =
  | { kind: 'count' }
  | { kind: 'roomSize', room: Room }
  | { kind: 'users' }

/** What one node answers to each kind of query. */
export interface QueryAnswers {
  count: number
  roomSize: number
  users: string[]
}

export type QueryKind = ClusterQuery['kind']

interface RequestEnvelope {
  type: 'request'
  origin: NodeId
  requestId: string
  query: ClusterQuery
}

export interface ResponseEnvelope {
  type: 'response'
  origin: NodeId
  requestId: string
  answer: QueryAnswers[QueryKind]
}

/** Envelopes routed by their selection's rooms. */
export type RoutedEnvelope = EmitEnvelope | RoomChangeEnvelope | DisconnectEnvelope

/**
 * The one room whose subscribers alone need an envelope, or undefined when every node needs it.
 * Only an emit to a single room (not a connection id) goes to that room's nodes. A disconnect, join or leave goes to
 * every node, whatever it selects: a node may be admitting a connection of that room before it
 * subscribes to it (a session whose token is still being checked), and a logout must reach it.
 */
export function routingRoom (envelope: RoutedEnvelope): Room | undefined {
  // A connection id is no channel anyone subscribes to: only the connection's node, unknown here, needs it.
  return envelope.type === 'emit' && envelope.rooms.length === 1 && !isConnectionId(envelope.rooms[0]) ? envelope.rooms[0] : undefined
}

/** Envelopes addressed to one node. */
export type NodeEnvelope = RequestEnvelope | ResponseEnvelope

/** What a hub sends and receives through its bus. */
export type Envelope = RoutedEnvelope | NodeEnvelope

/**
 * A node has just subscribed to a room's channel (sent on that channel). Every other subscriber
 * answers with a SubscribedAckEnvelope once it publishes that room's traffic again, if it had
 * stopped as the room's only subscriber (see sole-subscriber.ts).
 */
interface SubscribedEnvelope {
  type: 'subscribed'
  origin: NodeId
  room: Room
  announcementId: string
}

/** The answer to a SubscribedEnvelope, on the announcing node's own channel. */
interface SubscribedAckEnvelope {
  type: 'subscribed-ack'
  origin: NodeId
  announcementId: string
}

/** What the Redis bus says to the other nodes' buses on its own behalf; hubs never see these. */
export type ControlEnvelope = SubscribedEnvelope | SubscribedAckEnvelope

/** Everything that travels between nodes over Redis. */
export type BusMessage = Envelope | ControlEnvelope
