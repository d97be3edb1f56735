import type { FastifyBaseLogger } from 'fastify'
import { invalidOption } from '../errors'
import type { PresenceEntry, PresenceStats } from '../protocol/presence'
import type { NodeId, Room } from '../types'
import type { PresenceMember } from './presence-member'

/** A room's presence as a store reads it: the counts, and at most `limit` users. */
export interface PresenceRead extends PresenceStats {
  readonly members: PresenceEntry[]
}

/** The node a presence store serves, as the store needs to know it. */
export interface PresenceNode {
  readonly id: NodeId
  readonly log: FastifyBaseLogger
  /** Whether a room's members get `presence:join` and `presence:leave` (the `presence.events` option). */
  readonly announces: (room: Room) => boolean
  /**
   * Delivers a presence event to this node's members of the room, for a store that does not
   * publish on the room's bus channel itself (the memory store); must not throw.
   */
  readonly deliver: (room: Room, event: string, dataJson: string) => void
  /**
   * The store lost this node's members (a restarted Redis, or the node was taken for dead while
   * frozen): every local member is to be added again, under the store's new `owner`.
   */
  readonly restore: () => void
  /** Called on every store heartbeat: members whose add or remove failed are tried again. */
  readonly retry: () => void
}

/**
 * Where a cluster keeps presence: per room, its members' connections, who they are (a user counted
 * once however many connections they have, on however many nodes), and which node holds each.
 * One store object serves one node.
 *
 * Guarantees: a room's adds and removes, from every node, take effect one at a time, and the
 * `presence:join` and `presence:leave` events they cause reach every node in that same order (so
 * no member sees a leave after the join that replaced it); a join is announced only when it is its
 * user's first connection in the room, a leave when it was the last. Calls from one node take
 * effect in the order they are made. Adds and removes are idempotent: one that may or may not
 * have taken effect (Redis went away before answering) can be made again.
 */
export interface PresenceStore {
  /** Which node's members this store adds now: the node id, and after a `restore`, a fresh one. */
  readonly owner: string
  /** Starts serving a node (the Redis store: registers it and starts its heartbeat). Rejects when the store cannot start. */
  start (node: PresenceNode): Promise<void>
  /** Whether a room's presence can be kept (on a Redis Cluster: not when its channel has a `}` but no hash tag). */
  canKeep (room: Room): boolean
  /** Adds a connection under `owner`; true once done, false when the store could not be reached. Never rejects. */
  add (room: Room, member: PresenceMember): Promise<boolean>
  /** Removes a connection added under `owner`; true once done (or if it was not there), false when the store could not be reached. Never rejects. */
  remove (room: Room, member: PresenceMember, owner: string): Promise<boolean>
  /** A room's counts and at most `limit` users; undefined when the store cannot be asked. Never rejects. */
  read (room: Room, limit: number): Promise<PresenceRead | undefined>
  /** A room's counts, in O(1); undefined when the store cannot be asked. Never rejects. */
  stats (room: Room): Promise<PresenceStats | undefined>
  /** Removes whatever this node still has in any room (announcing the leaves), and stops. */
  stop (): Promise<void>
}

/** A bus that can keep presence for its cluster (both of the plugin's buses). */
export interface PresenceCapableBus {
  presenceStore (): PresenceStore
}

/** The bus's presence store; a bus of the app's own making that keeps none is refused at register time. */
export function presenceStoreOf (bus: object): PresenceStore {
  if (typeof (bus as Partial<PresenceCapableBus>).presenceStore !== 'function') {
    throw invalidOption('presence', 'false with a bus that keeps no presence (one without a presenceStore() method, such as MemoryBus and RedisBus have)')
  }
  return (bus as PresenceCapableBus).presenceStore()
}
