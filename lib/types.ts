/** Domain names shared by every part of the plugin. */

/** A room name such as `user:42`, `org:7` or `order:123`. */
export type Room = string

/** Unique id of one client connection (either transport). */
export type ConnectionId = string

/** Unique id of one plugin instance (one node of a cluster). */
export type NodeId = string

/** Which endpoint a client connected through. */
export type TransportName = 'ws' | 'socketio'

/**
 * The verified JWT payload of a connected client. Apps may augment it:
 * `declare module 'fastify-realtime' { interface RealtimeUser { orgId: string } }`.
 */
export interface RealtimeUser {
  sub?: string | number
  exp?: number
  [claim: string]: unknown
}

/** Who a handshake authenticated as; `user` is null for an anonymous client. */
export interface Identity {
  user: RealtimeUser | null
  userId: string | null
  /** Token expiry in ms since the epoch, or null when the token has none (or no token). */
  expiresAt: number | null
}

/** Prefix of the room every connection of a user joins automatically. */
export const USER_ROOM_PREFIX = 'user:'

export function userRoom (userId: string): Room {
  return USER_ROOM_PREFIX + userId
}
