/**
 * A connection's place in a room's presence, and the event payloads made from it: serialised once
 * here, so both stores (and the Redis scripts, which only concatenate) send the same bytes.
 */
import type { ConnectionId, Room } from '../types'

/** One connection in a room's presence, as a store keeps it. */
export interface PresenceMember {
  readonly connectionId: ConnectionId
  readonly userId: string | null
  /**
   * Who is counted: a user once however many connections they have, an anonymous connection on its
   * own. `u` and the user id as JSON, or `c` and the connection id, so the two never meet.
   */
  readonly userKey: string
  /** Its PresenceConnection ({ id, transport, info, joinedAt }) as JSON. */
  readonly entryJson: string
  /** Its info as JSON (`null` by default), for `presence:join`. */
  readonly infoJson: string
}

export function userKeyOf (userId: string | null, connectionId: ConnectionId): string {
  return userId === null ? `c${connectionId}` : `u${JSON.stringify(userId)}`
}

/** The user id a user key stands for; null for an anonymous connection's. */
export function userIdOfKey (userKey: string): string | null {
  return userKey.startsWith('u') ? JSON.parse(userKey.slice(1)) as string : null
}

/** `presence:join`'s data: `{ room, userId, info }`. */
export function joinDataJson (room: Room, member: PresenceMember): string {
  return `{"room":${JSON.stringify(room)},"userId":${JSON.stringify(member.userId)},"info":${member.infoJson}}`
}

/**
 * `presence:leave`'s data up to the user id: the Redis scripts complete it with the user id's JSON
 * (the user key without its `u`, or `null`) and `}`, for leaves they find themselves (a dead node's).
 */
export function leaveDataPrefix (room: Room): string {
  return `{"room":${JSON.stringify(room)},"userId":`
}

/** `presence:leave`'s data: `{ room, userId }`. */
export function leaveDataJson (room: Room, userId: string | null): string {
  return `${leaveDataPrefix(room)}${JSON.stringify(userId)}}`
}
