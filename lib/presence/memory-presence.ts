import { PRESENCE_JOIN_EVENT, PRESENCE_LEAVE_EVENT } from '../protocol/names'
import type { PresenceConnection, PresenceEntry, PresenceStats } from '../protocol/presence'
import type { ConnectionId, Room } from '../types'
import { joinDataJson, leaveDataJson, type PresenceMember } from './presence-member'
import type { PresenceNode, PresenceRead, PresenceStore } from './presence-store'

interface HeldConnection {
  readonly owner: string
  readonly member: PresenceMember
}

/** One room: its users by user key, each with their connections in it. */
interface RoomPresence {
  readonly users: Map<string, Map<ConnectionId, HeldConnection>>
  connections: number
}

/** The presence of one MemoryBroker's nodes, shared by them as Redis is shared by a cluster's. */
class SharedPresence {
  readonly rooms = new Map<Room, RoomPresence>()
  readonly stores = new Set<MemoryPresenceStore>()
}

/** Keyed by the broker, so the broker itself carries nothing of presence. */
const shared = new WeakMap<object, SharedPresence>()

/** The presence store of a memory bus made from `broker`; every bus of one broker shares the rooms. */
export function memoryPresenceStore (broker: object): PresenceStore {
  let presence = shared.get(broker)
  if (presence === undefined) {
    presence = new SharedPresence()
    shared.set(broker, presence)
  }
  return new MemoryPresenceStore(presence)
}

/**
 * Presence in process. Every change is made and announced in one synchronous step, to every node's
 * members at once, so the store's ordering guarantee holds without anything more.
 */
class MemoryPresenceStore implements PresenceStore {
  private readonly shared: SharedPresence
  private node: PresenceNode | undefined
  owner = ''

  constructor (presence: SharedPresence) {
    this.shared = presence
  }

  async start (node: PresenceNode): Promise<void> {
    this.node = node
    this.owner = node.id
    this.shared.stores.add(this)
  }

  canKeep (): boolean {
    return true
  }

  async add (room: Room, member: PresenceMember): Promise<boolean> {
    let presence = this.shared.rooms.get(room)
    if (presence === undefined) {
      presence = { users: new Map(), connections: 0 }
      this.shared.rooms.set(room, presence)
    }
    let connections = presence.users.get(member.userKey)
    const isFirst = connections === undefined
    if (connections === undefined) {
      connections = new Map()
      presence.users.set(member.userKey, connections)
    }
    if (connections.has(member.connectionId)) return true
    connections.set(member.connectionId, { owner: this.owner, member })
    presence.connections++
    if (isFirst) this.announce(room, PRESENCE_JOIN_EVENT, () => joinDataJson(room, member))
    return true
  }

  async remove (room: Room, member: PresenceMember, owner: string): Promise<boolean> {
    this.drop(room, member, owner)
    return true
  }

  async read (room: Room, limit: number): Promise<PresenceRead> {
    const presence = this.shared.rooms.get(room)
    const members: PresenceEntry[] = []
    for (const [, connections] of presence?.users ?? []) {
      if (members.length === limit) break
      const [first] = connections.values()
      members.push({ userId: first.member.userId, connections: [...connections.values()].map(({ member }) => JSON.parse(member.entryJson) as PresenceConnection) })
    }
    return { ...this.counts(room), members }
  }

  async stats (room: Room): Promise<PresenceStats> {
    return this.counts(room)
  }

  async stop (): Promise<void> {
    for (const [room, presence] of this.shared.rooms) {
      for (const connections of [...presence.users.values()]) {
        for (const { owner, member } of [...connections.values()]) {
          if (owner === this.owner) this.drop(room, member, owner)
        }
      }
    }
    this.shared.stores.delete(this)
    this.node = undefined
  }

  private counts (room: Room): PresenceStats {
    const presence = this.shared.rooms.get(room)
    return { users: presence?.users.size ?? 0, connections: presence?.connections ?? 0 }
  }

  private drop (room: Room, member: PresenceMember, owner: string): void {
    const presence = this.shared.rooms.get(room)
    const connections = presence?.users.get(member.userKey)
    if (presence === undefined || connections === undefined || connections.get(member.connectionId)?.owner !== owner) return
    connections.delete(member.connectionId)
    presence.connections--
    if (connections.size > 0) return
    presence.users.delete(member.userKey)
    if (presence.users.size === 0) this.shared.rooms.delete(room)
    this.announce(room, PRESENCE_LEAVE_EVENT, () => leaveDataJson(room, member.userId))
  }

  /** To every node's members of the room, this one's included, now. */
  private announce (room: Room, event: string, dataJson: () => string): void {
    if (this.node?.announces(room) !== true) return
    const data = dataJson()
    for (const store of this.shared.stores) store.node?.deliver(room, event, data)
  }
}
