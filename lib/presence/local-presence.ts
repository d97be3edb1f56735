import type { FastifyBaseLogger } from 'fastify'
import type { Connection } from '../hub/connection'
import type { MembershipObserver } from '../hub/hub'
import { OutboundEvent } from '../hub/outbound-event'
import { encodeData } from '../protocol/codec'
import { isRecord } from '../protocol/json-object'
import { settleWithin } from '../settle-within'
import type { ConnectionId, Room } from '../types'
import type { ResolvedPresence } from './presence-options'
import { userKeyOf, type PresenceMember } from './presence-member'
import type { PresenceStore } from './presence-store'

/** Rounds one member's sync makes at most before it waits for the next heartbeat (a client toggling a room without pause). */
const MAX_SYNC_ROUNDS = 64

/** One local connection in one room that tracks presence, and how far the store has caught up with it. */
interface LocalMember {
  readonly connection: Connection
  readonly room: Room
  member: PresenceMember
  /** Whether the connection is in the room now: what the store should hold. */
  wanted: boolean
  /** Whether the store holds it under `owner`: undefined after a failed attempt (it may, or may not). */
  stored: boolean | undefined
  owner: string
  /** The sync under way, if any: one per member at a time, so its adds and removes go out in order. */
  syncing: Promise<void> | undefined
}

/** What local presence needs from the hub. */
export interface LocalPresenceParts {
  readonly store: PresenceStore
  readonly options: ResolvedPresence
  readonly log: FastifyBaseLogger
  /** Resolves once the bus receives the rooms' envelopes (Hub.subscribed). */
  readonly subscribed: (rooms: Room[]) => Promise<void>
}

/**
 * This node's side of presence: told of every local join and leave, it keeps the store in step
 * with them, one member at a time and in order. The latest state wins: a leave and a join in
 * quick succession (a reload) may never reach the store at all, and the store never ends holding
 * a connection that left, nor missing one that stayed. A member is added once the bus receives its
 * room, so this node hears the join event the add may publish. A failed add or remove is tried again
 * on the next store heartbeat.
 */
export class LocalPresence implements MembershipObserver {
  private readonly parts: LocalPresenceParts
  private readonly rooms = new Map<Room, Map<ConnectionId, LocalMember>>()
  private readonly unsynced = new Set<LocalMember>()

  constructor (parts: LocalPresenceParts) {
    this.parts = parts
  }

  joined (connection: Connection, room: Room): void {
    if (!this.tracks(room)) return
    let members = this.rooms.get(room)
    if (members === undefined) {
      members = new Map()
      this.rooms.set(room, members)
    }
    const known = members.get(connection.id)
    if (known === undefined) {
      const member: LocalMember = { connection, room, member: this.memberOf(connection, room), wanted: true, stored: false, owner: '', syncing: undefined }
      members.set(connection.id, member)
      this.sync(member)
      return
    }
    // Back before its leave reached the store: if it did meanwhile, the join is a new one.
    if (!known.wanted) known.member = this.memberOf(connection, room)
    known.wanted = true
    this.sync(known)
  }

  left (connection: Connection, room: Room): void {
    const member = this.rooms.get(room)?.get(connection.id)
    if (member === undefined) return
    member.wanted = false
    this.sync(member)
  }

  /** Whether a room tracks presence: the `presence.rooms` option, as far as the store can keep it. */
  tracks (room: Room): boolean {
    try {
      return this.parts.options.rooms(room) && this.parts.store.canKeep(room)
    } catch (err) {
      this.parts.log.error({ err, room }, 'fastify-realtime: presence.rooms threw; the room is taken as not tracking presence')
      return false
    }
  }

  /** Delivers a presence event to this node's members of the room (for a store that does not publish on the bus). */
  deliver (room: Room, event: string, dataJson: string): void {
    const message = new OutboundEvent(event, dataJson, room)
    for (const member of this.rooms.get(room)?.values() ?? []) {
      if (member.wanted) member.connection.deliver(message)
    }
  }

  /** The store lost this node's members: add every one still here again, under the store's new owner. */
  restore (): void {
    for (const members of this.rooms.values()) {
      for (const member of members.values()) this.sync(member)
    }
  }

  /** Tries again every member whose add or remove failed. */
  retry (): void {
    const unsynced = [...this.unsynced]
    this.unsynced.clear()
    for (const member of unsynced) this.sync(member)
  }

  /** Resolves once this node's changes to a room are in the store, or after `timeoutMs`: a query after a join sees it. */
  async settled (room: Room, timeoutMs: number): Promise<void> {
    const pending = [...this.rooms.get(room)?.values() ?? []].flatMap((member) => member.syncing ?? [])
    if (pending.length > 0) await settleWithin(Promise.all(pending), timeoutMs)
  }

  /** Resolves once every change under way is in the store, or after `timeoutMs`. */
  async flush (timeoutMs: number): Promise<void> {
    const pending = [...this.rooms.values()].flatMap((members) => [...members.values()].flatMap((member) => member.syncing ?? []))
    if (pending.length > 0) await settleWithin(Promise.all(pending), timeoutMs)
  }

  private sync (member: LocalMember): void {
    if (member.syncing !== undefined) return
    member.syncing = this.catchUp(member)
      // The store never rejects: reaching here is a bug of ours, and it must cost this member's sync only.
      .catch((err: unknown) => { this.parts.log.error({ err, room: member.room }, 'fastify-realtime: a presence update failed') })
      .finally(() => {
        member.syncing = undefined
        this.settle(member)
      })
  }

  /** Adds or removes until the store holds what the member's connection is doing, or an attempt fails. */
  private async catchUp (member: LocalMember): Promise<void> {
    const { store } = this.parts
    for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
      if (member.wanted && !this.isStored(member)) {
        await this.parts.subscribed([member.room])
        if (!member.wanted) continue
        // Stored under an owner this node no longer has (it was taken for dead while it froze):
        // removed once stored again, so the user is not counted out in between.
        const stray = member.stored !== false && member.owner !== store.owner ? member.owner : undefined
        member.owner = store.owner
        member.stored = undefined
        if (!await store.add(member.room, member.member)) return
        member.stored = true
        if (stray !== undefined) await store.remove(member.room, member.member, stray)
      } else if (!member.wanted && member.stored !== false) {
        if (!await store.remove(member.room, member.member, member.owner)) {
          member.stored = undefined
          return
        }
        member.stored = false
      } else {
        return
      }
    }
  }

  private isStored (member: LocalMember): boolean {
    return member.stored === true && member.owner === this.parts.store.owner
  }

  /** After a sync: forgets a member that left and is out of the store, keeps one that is not caught up for a retry. */
  private settle (member: LocalMember): void {
    if (!member.wanted && member.stored === false) {
      const members = this.rooms.get(member.room)
      if (members?.get(member.connection.id) === member) members.delete(member.connection.id)
      if (members?.size === 0) this.rooms.delete(member.room)
      return
    }
    if (member.wanted !== this.isStored(member)) this.unsynced.add(member)
  }

  private memberOf (connection: Connection, room: Room): PresenceMember {
    const infoJson = this.infoJson(connection, room)
    const entryJson = `{"id":${JSON.stringify(connection.id)},"transport":${JSON.stringify(connection.transport)},"info":${infoJson},"joinedAt":${Date.now()}}`
    return { connectionId: connection.id, userId: connection.userId, userKey: userKeyOf(connection.userId, connection.id), entryJson, infoJson }
  }

  /** The app's info for a member, as JSON; `null` when there is none, and when the app's function fails (logged). */
  private infoJson (connection: Connection, room: Room): string {
    const infoOf = this.parts.options.info
    if (infoOf === undefined) return 'null'
    try {
      const info: unknown = infoOf(connection, room)
      if (info === undefined || info === null) return 'null'
      if (isRecord(info)) return encodeData(info)
      this.parts.log.warn({ connectionId: connection.id, room }, 'fastify-realtime: presence.info returned something other than an object; the member has no info')
    } catch (err) {
      this.parts.log.error({ err, connectionId: connection.id, room }, 'fastify-realtime: presence.info failed (threw, or returned what JSON cannot carry); the member has no info')
    }
    return 'null'
  }
}
