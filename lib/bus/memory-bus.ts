import type { Bus, EnvelopeListener } from './bus'
import type { Envelope } from './envelope'
import type { Room } from '../types'

/**
 * The in-process "network" of a set of memory buses. Each plugin instance gets its own by default
 * (one node); pass buses made from one broker to several apps in one process to make them a cluster.
 */
export class MemoryBroker {
  readonly buses = new Set<MemoryBus>()

  createBus (): MemoryBus {
    return new MemoryBus(this)
  }
}

/** A bus for apps in one process. Delivery is synchronous and in order; it never fails. */
export class MemoryBus implements Bus {
  private readonly broker: MemoryBroker
  private readonly rooms = new Set<Room>()
  private listener: EnvelopeListener | undefined

  constructor (broker: MemoryBroker = new MemoryBroker()) {
    this.broker = broker
    broker.buses.add(this)
  }

  async publish (envelope: Envelope): Promise<boolean> {
    const soleRoom = envelope.rooms.length === 1 ? envelope.rooms[0] : undefined
    for (const bus of this.broker.buses) {
      if (bus === this) continue
      if (soleRoom !== undefined && !bus.rooms.has(soleRoom)) continue
      bus.listener?.(envelope)
    }
    return true
  }

  subscribe (room: Room): void {
    this.rooms.add(room)
  }

  unsubscribe (room: Room): void {
    this.rooms.delete(room)
  }

  setListener (listener: EnvelopeListener): void {
    this.listener = listener
  }

  /** Rooms this node currently receives; lets tests prove nodes without members get no room traffic. */
  subscribedRooms (): ReadonlySet<Room> {
    return this.rooms
  }

  async close (): Promise<void> {
    this.broker.buses.delete(this)
    this.listener = undefined
  }
}
