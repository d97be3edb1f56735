/** Domain names shared by every part of the plugin. */
import type { FastifyJWT } from '@fastify/jwt'

/** A room name such as `user:42`, `org:7` or `order:123`. */
export type Room = string

/** Unique id of one client connection (either transport). */
export type ConnectionId = string

/** Unique id of one plugin instance (one node of a cluster). */
export type NodeId = string

/** Which endpoint a client connected through. */
export type TransportName = 'ws' | 'socketio'

/** The claims of a verified token while the app declares none for @fastify/jwt. */
export interface DefaultRealtimeUser {
  sub?: string | number
  exp?: number
  [claim: string]: unknown
}

/**
 * The verified JWT payload of a connected client (`client.user`, the `user` of `autoJoin` and
 * `canJoin`, the payload of `auth.*`). It is typed by the declaration the app already writes for
 * @fastify/jwt, so that `request.user` and the realtime user are one type:
 * `declare module '@fastify/jwt' { interface FastifyJWT { payload: { sub: string, orgId: string } } }`.
 * The plugin hands over the verified payload (@fastify/jwt's `formatUser` does not run for realtime
 * tokens), so `payload` is read first and `user` only when no `payload` is declared.
 */
export type RealtimeUser =
  FastifyJWT extends { payload: infer Payload } ? Payload
    : FastifyJWT extends { user: infer User } ? User
      : DefaultRealtimeUser

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
