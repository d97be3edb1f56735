/**
 * What presence looks like on the wire, for the server and `fastify-realtime/client` alike: the
 * answer to a presence request and the payloads of the `presence:join` and `presence:leave` events.
 */
import type { ConnectionId, Room, TransportName } from '../types'

/** The public info the app attaches to a member (the `presence.info` option); null by default. */
export type PresenceInfo = Record<string, unknown>

/** One connection of a member. */
export interface PresenceConnection {
  readonly id: ConnectionId
  readonly transport: TransportName
  readonly info: PresenceInfo | null
  /** When it entered the room (ms since the epoch, by its node's clock). */
  readonly joinedAt: number
}

/** One person in a room: a user with every connection of theirs in it, or one anonymous connection (`userId: null`). */
export interface PresenceEntry {
  readonly userId: string | null
  readonly connections: PresenceConnection[]
}

/** How many are in a room, for the whole cluster, without the list. */
export interface PresenceStats {
  readonly users: number
  readonly connections: number
}

/**
 * A room's presence as a client request answers it: the counts, and the members (at most the
 * server's `presence.listLimit` users; fewer than `users` means the list was cut).
 */
export interface PresenceSnapshot extends PresenceStats {
  readonly room: Room
  readonly members: PresenceEntry[]
}

/** `presence:join`: a user's first connection entered the room, anywhere in the cluster. */
export interface PresenceJoinData {
  readonly room: Room
  readonly userId: string | null
  /** The info of the connection that entered. */
  readonly info: PresenceInfo | null
}

/** `presence:leave`: a user's last connection left the room (or its node died). */
export interface PresenceLeaveData {
  readonly room: Room
  readonly userId: string | null
}
