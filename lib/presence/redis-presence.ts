import { encodeEnvelope } from '../bus/envelope-codec'
import type { RedisChannels } from '../bus/redis-channels'
import { isCluster, type RedisClient } from '../bus/redis-connections'
import { PRESENCE_JOIN_EVENT, PRESENCE_LEAVE_EVENT } from '../protocol/names'
import type { PresenceConnection, PresenceEntry, PresenceStats } from '../protocol/presence'
import type { Room } from '../types'
import { joinDataJson, leaveDataPrefix, userIdOfKey, type PresenceMember } from './presence-member'
import type { PresenceNode, PresenceRead, PresenceStore } from './presence-store'
import { RedisPresenceKeys } from './redis-presence-keys'
import { PRESENCE_KEY_TTL, RedisPresenceOwners } from './redis-presence-owners'
import { ADD_SCRIPT, READ_SCRIPT, REMOVE_SCRIPT, STATS_SCRIPT, SWEEP_SCRIPT, TOUCH_SCRIPT } from './redis-presence-scripts'

const ADD_COMMAND = 'fastifyRealtimePresenceAdd'
const REMOVE_COMMAND = 'fastifyRealtimePresenceRemove'
const SWEEP_COMMAND = 'fastifyRealtimePresenceSweep'
const READ_COMMAND = 'fastifyRealtimePresenceRead'
const STATS_COMMAND = 'fastifyRealtimePresenceStats'
const TOUCH_COMMAND = 'fastifyRealtimePresenceTouch'

/**
 * The origin of the events the scripts publish: no node's id (those are UUIDs), so every node
 * delivers them, the publishing node too, and all in the channel's order (a node that delivered its
 * own at once could show its members a leave after the join another node published meanwhile).
 */
export const PRESENCE_ORIGIN = '$presence'

/** A dead owner's connections one script removes at most, so no script runs long. */
const SWEEP_BATCH = 256
/** A room's keys are refreshed this often by the nodes with members in it (they expire after PRESENCE_KEY_TTL). */
const TOUCH_INTERVAL_MS = PRESENCE_KEY_TTL / 4
/** How long `stop()` waits for sweeps: a frozen Redis must not hold up the app's shutdown. */
const STOP_TIMEOUT_MS = 2_000

type Keys3 = [users: string, count: string, owned: string]
type PresenceCommands = RedisClient & {
  [ADD_COMMAND]: (...args: [...Keys3, ...Array<string | number>]) => Promise<number>
  [REMOVE_COMMAND]: (...args: [...Keys3, ...Array<string | number>]) => Promise<number>
  [SWEEP_COMMAND]: (...args: [...Keys3, ...Array<string | number>]) => Promise<number>
  [READ_COMMAND]: (users: string, count: string, limit: number) => Promise<[number, number, string[]]>
  [STATS_COMMAND]: (users: string, count: string) => Promise<[number, number]>
  [TOUCH_COMMAND]: (...args: [...Keys3, number]) => Promise<number>
}

/**
 * Presence on Redis: per room, a hash of users (each with its connections), a connection count, and
 * per owner a hash of its connections; see redis-presence-scripts.ts. A join or a leave is one
 * script (plus a SADD or SREM when it is this node's first or last member of the room), a
 * `presenceStats` one O(1) script, a list one bounded script. Dead nodes: RedisPresenceOwners.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly client: PresenceCommands
  private readonly keys: RedisPresenceKeys
  private readonly publishCommand: 'publish' | 'spublish'
  private readonly owners: RedisPresenceOwners
  /** This node's members per room under the current owner, counted as commands are issued (SADD on the first, SREM after the last). */
  private rooms = new Map<Room, number>()
  private node: PresenceNode | undefined
  private touchTimer: NodeJS.Timeout | undefined

  constructor (client: RedisClient, channels: RedisChannels, heartbeatInterval: number) {
    const sharded = isCluster(client)
    client.defineCommand(ADD_COMMAND, { numberOfKeys: 3, lua: ADD_SCRIPT })
    client.defineCommand(REMOVE_COMMAND, { numberOfKeys: 3, lua: REMOVE_SCRIPT })
    client.defineCommand(SWEEP_COMMAND, { numberOfKeys: 3, lua: SWEEP_SCRIPT })
    client.defineCommand(READ_COMMAND, { numberOfKeys: 2, lua: READ_SCRIPT })
    client.defineCommand(STATS_COMMAND, { numberOfKeys: 2, lua: STATS_SCRIPT })
    client.defineCommand(TOUCH_COMMAND, { numberOfKeys: 3, lua: TOUCH_SCRIPT })
    this.client = client as PresenceCommands
    this.keys = new RedisPresenceKeys(channels, sharded)
    this.publishCommand = sharded ? 'spublish' : 'publish'
    this.owners = new RedisPresenceOwners(client, this.keys, heartbeatInterval, {
      sweepRoom: async (room, owner) => await this.sweepRoom(room, owner),
      renewed: () => {
        this.rooms = new Map<Room, number>()
        this.node?.restore()
      },
      beat: () => this.node?.retry()
    })
  }

  get owner (): string {
    return this.owners.current
  }

  async start (node: PresenceNode): Promise<void> {
    this.node = node
    await this.owners.start(node.id, node.log)
    this.touchTimer = setInterval(() => this.touchRooms(), TOUCH_INTERVAL_MS)
    this.touchTimer.unref()
  }

  canKeep (room: Room): boolean {
    return this.keys.room(room, '') !== undefined
  }

  async add (room: Room, member: PresenceMember): Promise<boolean> {
    const owner = this.owner
    const keys = this.keys.room(room, owner)
    if (keys === undefined || this.client.status !== 'ready') return false
    // Issued before the script, on the same connection: a sweeper that sees the member sees the room listed.
    if (this.hold(room)) this.client.sadd(this.keys.ownerRooms(owner), room).catch(ignore)
    const message = this.node?.announces(room) === true ? this.message(room, PRESENCE_JOIN_EVENT, joinDataJson(room, member)) : ''
    try {
      await this.client[ADD_COMMAND](keys.users, keys.count, keys.owned, member.connectionId, member.userKey,
        `${owner}\t${member.connectionId}\t${member.entryJson}`, PRESENCE_KEY_TTL, this.publishCommand, this.keys.channel(room), message)
      return true
    } catch {
      return false
    }
  }

  async remove (room: Room, member: PresenceMember, owner: string): Promise<boolean> {
    const keys = this.keys.room(room, owner)
    if (keys === undefined) return true
    if (this.client.status !== 'ready') return false
    const removed = this.client[REMOVE_COMMAND](keys.users, keys.count, keys.owned, member.connectionId, owner,
      PRESENCE_KEY_TTL, this.publishCommand, this.keys.channel(room), this.leavePrefix(room))
    // Issued after the script: the room stays listed for a sweeper until the member is gone.
    if (owner === this.owner && this.release(room)) this.client.srem(this.keys.ownerRooms(owner), room).catch(ignore)
    try {
      await removed
      return true
    } catch {
      return false
    }
  }

  async read (room: Room, limit: number): Promise<PresenceRead | undefined> {
    const keys = this.keys.room(room, '')
    if (keys === undefined || this.client.status !== 'ready') return undefined
    try {
      const [users, connections, fields] = await this.client[READ_COMMAND](keys.users, keys.count, limit)
      return { users: Number(users), connections: Number(connections), members: entriesOf(fields, limit) }
    } catch {
      return undefined
    }
  }

  async stats (room: Room): Promise<PresenceStats | undefined> {
    const keys = this.keys.room(room, '')
    if (keys === undefined || this.client.status !== 'ready') return undefined
    try {
      const [users, connections] = await this.client[STATS_COMMAND](keys.users, keys.count)
      return { users: Number(users), connections: Number(connections) }
    } catch {
      return undefined
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.touchTimer)
    await this.owners.stop(STOP_TIMEOUT_MS)
    this.node = undefined
  }

  /** Counts a member in; true when it is this owner's first in the room. */
  private hold (room: Room): boolean {
    const held = this.rooms.get(room) ?? 0
    this.rooms.set(room, held + 1)
    return held === 0
  }

  /** Counts a member out; true when it was this owner's last in the room. */
  private release (room: Room): boolean {
    const held = this.rooms.get(room)
    if (held === undefined) return false
    if (held > 1) this.rooms.set(room, held - 1)
    else this.rooms.delete(room)
    return held === 1
  }

  private async sweepRoom (room: Room, owner: string): Promise<void> {
    const keys = this.keys.room(room, owner)
    if (keys === undefined) return
    const channel = this.keys.channel(room)
    const leavePrefix = this.leavePrefix(room)
    // Bounded: each round removes up to a batch, and nothing adds under a dead owner.
    for (let round = 0; round < 1_000_000; round++) {
      const removed = Number(await this.client[SWEEP_COMMAND](keys.users, keys.count, keys.owned, owner, SWEEP_BATCH, this.publishCommand, channel, leavePrefix))
      if (removed < SWEEP_BATCH) return
    }
  }

  private touchRooms (): void {
    if (this.client.status !== 'ready') return
    for (const room of this.rooms.keys()) {
      const keys = this.keys.room(room, this.owner)
      if (keys !== undefined) this.client[TOUCH_COMMAND](keys.users, keys.count, keys.owned, PRESENCE_KEY_TTL).catch(ignore)
    }
  }

  /** The leave envelope up to the user id ('' when the room's events are off); the scripts complete it. */
  private leavePrefix (room: Room): string {
    return this.node?.announces(room) === true ? this.message(room, PRESENCE_LEAVE_EVENT, leaveDataPrefix(room)) : ''
  }

  private message (room: Room, event: string, dataJson: string): string {
    return encodeEnvelope({ type: 'emit', origin: PRESENCE_ORIGIN, event, dataJson, rooms: [room], except: [], omitRoom: false })
  }
}

/**
 * The users of a read, as entries, at most `limit`. A connection may be listed twice for a moment
 * (under the owner its node had and the one it has after a `restore`): it counts once. What does
 * not read as the scripts wrote it is left out rather than failing the whole list.
 */
function entriesOf (fields: string[], limit: number): PresenceEntry[] {
  const entries: PresenceEntry[] = []
  for (let i = 0; i + 1 < fields.length && entries.length < limit; i += 2) {
    const userId = readUserId(fields[i])
    const connections = connectionsOf(fields[i + 1])
    if (userId !== undefined && connections.length > 0) entries.push({ userId, connections })
  }
  return entries
}

function readUserId (userKey: string): string | null | undefined {
  try {
    const userId = userIdOfKey(userKey)
    return userId === null || typeof userId === 'string' ? userId : undefined
  } catch {
    return undefined
  }
}

/** One user's lines: `owner \t connection id \t entry JSON` each. */
function connectionsOf (value: string): PresenceConnection[] {
  const seen = new Set<string>()
  const connections: PresenceConnection[] = []
  for (const line of value.split('\n')) {
    const first = line.indexOf('\t')
    const second = line.indexOf('\t', first + 1)
    if (first === -1 || second === -1) continue
    const id = line.slice(first + 1, second)
    if (seen.has(id)) continue
    try {
      connections.push(JSON.parse(line.slice(second + 1)) as PresenceConnection)
      seen.add(id)
    } catch {
      // Left out (see entriesOf).
    }
  }
  return connections
}

function ignore (): void {
  // A failed SADD, SREM or refresh: the owner's next beat or the next write of the room puts it right enough (see the class comment).
}
