import type { Server as SocketIoServer } from 'socket.io'
import type { EmitTarget } from './bus/envelope'
import { invalidArgument } from './errors'
import type { Gateway } from './gateway'
import { BroadcastOperator } from './hub/broadcast-operator'
import type { EventHandler } from './hub/event-handlers'
import { userRoom, type NodeId, type Room } from './types'

/** The server API, decorated as `app.realtime`. */
export class Realtime {
  /**
   * The Socket.IO server (undefined with `socketio: false`), as an escape hatch. In the realtime
   * namespace, `io.to(room).emit(event, data)` and `socket.join(room)` go through the shared rooms;
   * see the README for what stays Socket.IO-only.
   */
  readonly io: SocketIoServer | undefined
  private readonly gateway: Gateway
  private readonly everyone: BroadcastOperator

  constructor (gateway: Gateway, io?: SocketIoServer) {
    this.io = io
    this.gateway = gateway
    this.everyone = new BroadcastOperator(gateway.hub)
  }

  /** This node's id, as carried on bus envelopes. */
  get nodeId (): NodeId {
    return this.gateway.hub.nodeId
  }

  /** Sends an event to every client on every node. Resolves false if the bus could not take it. */
  emit (event: string, data?: unknown): Promise<boolean> {
    return this.everyone.emit(event, data)
  }

  /** Selects members of these rooms; chain `.to()`, `.except()`, then `.emit()`. */
  to (rooms: Room | readonly Room[]): BroadcastOperator {
    return this.everyone.to(rooms)
  }

  /** Selects every client except members of these rooms. */
  except (rooms: Room | readonly Room[]): BroadcastOperator {
    return this.everyone.except(rooms)
  }

  /** Selects every connection of one user; their `event` frames carry no `room`. */
  toUser (userId: string | number): BroadcastOperator {
    if ((typeof userId !== 'string' && typeof userId !== 'number') || userId === '') {
      throw invalidArgument('userId', 'a non-empty string or a number')
    }
    const target: EmitTarget = { rooms: [userRoom(String(userId))], except: [], direct: true }
    return new BroadcastOperator(this.gateway.hub, target)
  }

  /** Handles a client event; the handler's return value (or resolved value) is the client's ack. */
  on<Data = unknown>(event: string, handler: EventHandler<Data>): this {
    this.gateway.handlers.on(event, handler as EventHandler)
    return this
  }

  /** Connected clients. */
  async count (): Promise<number> {
    return this.gateway.hub.connectionCount
  }

  /** Members of a room. */
  async roomSize (room: Room): Promise<number> {
    return this.gateway.hub.roomSize(room)
  }

  async isUserConnected (userId: string | number): Promise<boolean> {
    return this.gateway.hub.roomSize(userRoom(String(userId))) > 0
  }

  /** Ids of users with at least one connection. */
  async connectedUsers (): Promise<string[]> {
    const users = new Set<string>()
    for (const connection of this.gateway.hub.allConnections()) {
      if (connection.userId !== null) users.add(connection.userId)
    }
    return [...users]
  }

  /** Counters of clients the node had to cut off. */
  stats (): Readonly<Gateway['stats']> {
    return { ...this.gateway.stats }
  }
}
