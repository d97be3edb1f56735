import type { Bus, BusNode, BusStatus } from './bus'
import { routingRoom, type EmitEnvelope, type NodeEnvelope, type RoutedEnvelope } from './envelope'
import { MemoryHistory, MemorySessions } from './memory-history'
import { memoryPresenceStore } from '../presence/memory-presence'
import type { PresenceStore } from '../presence/presence-store'
import type { HistoryRead, StreamPosition, StreamStamp } from '../recovery/stream-position'
import type { NodeId, Room } from '../types'

const ALWAYS_CONNECTED: BusStatus = Object.freeze({ connected: true, disconnectedSince: null, outages: 0, failedPublishes: 0 })

/**
 * The in-process "network" of a set of memory buses. Each plugin instance gets its own by default
 * (one node); pass buses made from one broker to several apps in one process to make them a cluster.
 */
export class MemoryBroker {
  readonly buses = new Set<MemoryBus>()
  /** Room histories and recovery sessions, shared by the broker's nodes as Redis shares them. */
  readonly history = new MemoryHistory()
  readonly sessions = new MemorySessions()

  createBus (): MemoryBus {
    return new MemoryBus(this)
  }
}

/** A bus for apps in one process. Delivery is synchronous and in order; it never fails. */
export class MemoryBus implements Bus {
  private readonly broker: MemoryBroker
  private readonly rooms = new Set<Room>()
  private node: BusNode | undefined

  constructor (broker: MemoryBroker = new MemoryBroker()) {
    this.broker = broker
    broker.buses.add(this)
  }

  async attach (node: BusNode): Promise<void> {
    this.node = node
  }

  async publish (envelope: RoutedEnvelope): Promise<boolean> {
    const room = routingRoom(envelope)
    for (const bus of this.broker.buses) {
      if (bus === this) continue
      if (room !== undefined && !bus.rooms.has(room)) continue
      bus.node?.listener(envelope)
    }
    return true
  }

  async appendToHistory (room: Room, envelope: EmitEnvelope): Promise<StreamStamp | undefined> {
    const limits = this.node?.history
    if (limits === undefined) return undefined
    const stamp = this.broker.history.append(room, envelope, limits)
    for (const bus of this.broker.buses) {
      if (bus !== this && bus.rooms.has(room)) bus.node?.listener(envelope, stamp)
    }
    return stamp
  }

  canKeepHistory (): boolean {
    return true
  }

  async readHistory (room: Room, after: number, limit: number, fence?: StreamPosition): Promise<HistoryRead> {
    return this.broker.history.read(room, after, limit, fence)
  }

  async saveSession (id: string, value: string, ttl: number): Promise<boolean> {
    this.broker.sessions.save(id, value, ttl)
    return true
  }

  async takeSession (id: string): Promise<string | undefined> {
    return this.broker.sessions.take(id)
  }

  async sendToNode (node: NodeId, envelope: NodeEnvelope): Promise<boolean> {
    for (const bus of this.broker.buses) {
      if (bus.node?.id !== node) continue
      bus.node.listener(envelope)
      return true
    }
    return false
  }

  async liveNodes (): Promise<NodeId[]> {
    const nodes: NodeId[] = []
    for (const bus of this.broker.buses) if (bus.node !== undefined) nodes.push(bus.node.id)
    return nodes
  }

  async subscribe (room: Room): Promise<void> {
    this.rooms.add(room)
  }

  unsubscribe (room: Room): void {
    this.rooms.delete(room)
  }

  /** Rooms this node currently receives; lets tests prove nodes without members get no room traffic. */
  subscribedRooms (): ReadonlySet<Room> {
    return this.rooms
  }

  status (): BusStatus {
    return ALWAYS_CONNECTED
  }

  /** Where presence keeps this node's members (the `presence` option): shared by the broker's buses. */
  presenceStore (): PresenceStore {
    return memoryPresenceStore(this.broker)
  }

  async close (): Promise<void> {
    this.broker.buses.delete(this)
    this.node = undefined
  }
}
