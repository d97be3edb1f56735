import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Bus } from '../bus/bus'
import type { EmitTarget, Envelope } from '../bus/envelope'
import { invalidArgument } from '../errors'
import { encodeData } from '../protocol/codec'
import { isValidRoomName } from '../protocol/names'
import type { ConnectionId, NodeId, Room } from '../types'
import type { Connection, Membership } from './connection'
import { OutboundEvent } from './outbound-event'

/**
 * Local state of one node: its connections and which rooms they are in. Emits are delivered to
 * local members at once (never waiting on the bus) and handed to the bus for the other nodes; the
 * hub subscribes the bus to a room only while the room has a local member.
 */
export class Hub implements Membership {
  readonly nodeId: NodeId = randomUUID()
  private readonly connections = new Map<ConnectionId, Connection>()
  private readonly members = new Map<Room, Set<Connection>>()
  private readonly bus: Bus
  private readonly log: FastifyBaseLogger
  private emptyWaiters: Array<() => void> = []

  constructor (bus: Bus, log: FastifyBaseLogger) {
    this.bus = bus
    this.log = log
    bus.setListener((envelope) => this.receive(envelope))
  }

  register (connection: Connection): void {
    this.connections.set(connection.id, connection)
  }

  isRegistered (connection: Connection): boolean {
    return this.connections.get(connection.id) === connection
  }

  /** Forgets a closed connection and takes it out of every room. */
  unregister (connection: Connection): void {
    if (!this.connections.delete(connection.id)) return
    for (const room of connection.rooms) this.leave(connection, room)
    if (this.connections.size === 0) this.notifyEmpty()
  }

  /** Resolves once no connection is registered. */
  waitUntilEmpty (): Promise<void> {
    if (this.connections.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.emptyWaiters.push(resolve))
  }

  private notifyEmpty (): void {
    const waiters = this.emptyWaiters
    this.emptyWaiters = []
    for (const resolve of waiters) resolve()
  }

  join (connection: Connection, room: Room): void {
    if (!isValidRoomName(room)) throw invalidArgument('room', 'a non-empty string of at most 200 characters without control characters')
    if (connection.rooms.has(room)) return
    connection.rooms.add(room)
    const members = this.members.get(room)
    if (members !== undefined) {
      members.add(connection)
      return
    }
    this.members.set(room, new Set([connection]))
    this.bus.subscribe(room)
  }

  leave (connection: Connection, room: Room): void {
    if (!connection.rooms.delete(room)) return
    const members = this.members.get(room)
    if (members === undefined) return
    members.delete(connection)
    if (members.size > 0) return
    this.members.delete(room)
    this.bus.unsubscribe(room)
  }

  /** Delivers to local members now and hands the emit to the bus for the other nodes. */
  publish (target: EmitTarget, event: string, data: unknown): Promise<boolean> {
    const dataJson = encodeData(data)
    this.deliver(target, event, dataJson)
    return this.bus.publish({ type: 'emit', origin: this.nodeId, event, dataJson, ...target })
  }

  private receive (envelope: Envelope): void {
    if (envelope.origin === this.nodeId) return
    switch (envelope.type) {
      case 'emit':
        this.deliver(envelope, envelope.event, envelope.dataJson)
        break
      default:
        this.log.debug({ envelope }, 'fastify-realtime: ignored an unknown bus envelope')
    }
  }

  private deliver (target: EmitTarget, event: string, dataJson: string): void {
    const soleRoom = target.rooms.length === 1 ? target.rooms[0] : undefined
    const message = new OutboundEvent(event, dataJson, target.direct ? undefined : soleRoom)
    const excluded = target.except.length > 0 ? this.membersOf(target.except) : undefined
    for (const connection of this.recipients(target.rooms)) {
      if (connection.id === target.exceptConnectionId || excluded?.has(connection) === true) continue
      connection.deliver(message)
    }
  }

  private recipients (rooms: readonly Room[]): Iterable<Connection> {
    if (rooms.length === 0) return this.connections.values()
    if (rooms.length === 1) return this.members.get(rooms[0]) ?? []
    return this.membersOf(rooms)
  }

  private membersOf (rooms: readonly Room[]): Set<Connection> {
    const union = new Set<Connection>()
    for (const room of rooms) {
      const members = this.members.get(room)
      if (members !== undefined) for (const connection of members) union.add(connection)
    }
    return union
  }

  get connectionCount (): number {
    return this.connections.size
  }

  roomSize (room: Room): number {
    return this.members.get(room)?.size ?? 0
  }

  /** Local connections; the heartbeat and shutdown walk them. */
  allConnections (): IterableIterator<Connection> {
    return this.connections.values()
  }
}
