import type { FastifyBaseLogger } from 'fastify'
import type { EmitEnvelope, Envelope, NodeEnvelope, RoutedEnvelope } from './envelope'
import type { HistoryLimits } from './memory-history'
import type { HistoryRead, StreamPosition, StreamStamp } from '../recovery/stream-position'
import type { NodeId, Room } from '../types'

export type { HistoryLimits } from './memory-history'

/** Receives an envelope; an emit that went through a room's history comes with its place in it. */
export type EnvelopeListener = (envelope: Envelope, stamp?: StreamStamp) => void

/** The node a bus serves, as the bus needs to know it. */
export interface BusNode {
  readonly id: NodeId
  /** Receives every envelope for this node. Listener errors are the listener's to handle. */
  readonly listener: EnvelopeListener
  /** Where the bus reports faults (connection lost and restored, bad input at debug level). */
  readonly log: FastifyBaseLogger
  /**
   * Milliseconds the hub waits at most for `subscribe` to take effect (its clusterRequestTimeout).
   * The Redis bus keeps its own waits within it, and marks a room it alone subscribes to for half of it.
   */
  readonly subscribeTimeout: number
  /** What room histories keep (the `recovery` option), undefined when they are off. */
  readonly history: HistoryLimits | undefined
  /**
   * Called once the bus receives again after it may have missed envelopes (the Redis subscriber
   * reconnected): the node catches up on room histories.
   */
  readonly resynced: () => void
  /** Whether this node has delivered that place of a room's stream already: the bus may drop it undecoded. */
  readonly delivered: (stamp: StreamStamp) => boolean
}

/** Whether a bus currently reaches the other nodes. */
export interface BusStatus {
  /** False while the bus cannot reach the other nodes: emits then reach this node's clients only. */
  readonly connected: boolean
  /** When the current outage began (ms since the epoch), null while connected. */
  readonly disconnectedSince: number | null
  /** Outages since the bus started. */
  readonly outages: number
  /** Publishes refused (resolved false) because the bus was disconnected. */
  readonly failedPublishes: number
}

/**
 * Carries envelopes between the nodes of a cluster. One Bus object serves one node.
 *
 * Delivery is at-most-once and unordered across publishers; envelopes from one publisher to one
 * node arrive in the order they were published. A node may also receive its own envelopes; the hub
 * ignores them.
 */
export interface Bus {
  /**
   * Starts serving a node: from now on envelopes for it reach `node.listener`. Resolves once that is
   * in effect (the Redis bus: connected and subscribed); rejects when the bus cannot start.
   */
  attach (node: BusNode): Promise<void>
  /**
   * Hands an envelope to the other nodes: those subscribed to its room when it selects exactly one
   * room, every node otherwise. Resolves true once the bus has taken it, false when it could not
   * (for example while Redis is unreachable). Never rejects.
   */
  publish (envelope: RoutedEnvelope): Promise<boolean>
  /**
   * Appends an emit to one room's history and hands it to the room's other nodes, as one step, so
   * history and live delivery cannot disagree. Resolves with its place in the room's stream, or
   * undefined when the bus did not take it (then no node delivers it). Never rejects.
   */
  appendToHistory (room: Room, envelope: EmitEnvelope): Promise<StreamStamp | undefined>
  /**
   * Whether a room can keep history on this bus. Always, except on a Redis Cluster for a room whose
   * channel name has a `}` but no hash tag: no key can share that channel's slot.
   */
  canKeepHistory (room: Room): boolean
  /**
   * A room's history after `after`, at most `limit` entries (0: only its epoch and top). With a
   * `fence` of the room's current epoch above its top, the room starts a new epoch (its stream lost
   * what a client saw). Undefined when the bus cannot be asked. Never rejects.
   */
  readHistory (room: Room, after: number, limit: number, fence?: StreamPosition): Promise<HistoryRead | undefined>
  /** Keeps a recovery session for `ttl` milliseconds; false when the bus could not. Never rejects. */
  saveSession (id: string, value: string, ttl: number): Promise<boolean>
  /** Takes a recovery session (it can be taken once). Undefined when there is none, or the bus cannot be asked. Never rejects. */
  takeSession (id: string): Promise<string | undefined>
  /** Sends an envelope to one node. Resolves true if that node is listening, false otherwise. Never rejects. */
  sendToNode (node: NodeId, envelope: NodeEnvelope): Promise<boolean>
  /**
   * The nodes believed alive, this one included: each announces itself while it runs and is
   * forgotten when it closes or stops announcing. While disconnected, only this node. Never rejects.
   */
  liveNodes (): Promise<NodeId[]>
  /**
   * Starts receiving envelopes addressed to this room alone. The hub calls it when the room gets its
   * first local member. Resolves once the room's envelopes reach this node, or at once while the bus
   * is disconnected (it subscribes again when it reconnects). Never rejects.
   */
  subscribe (room: Room): Promise<void>
  /** Stops receiving a room's envelopes. The hub calls it when the room's last local member leaves. */
  unsubscribe (room: Room): void
  status (): BusStatus
  /** Releases everything the bus opened. Nothing is delivered after it resolves. */
  close (): Promise<void>
}
