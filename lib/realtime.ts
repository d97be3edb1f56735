import type { Server as SocketIoServer } from 'socket.io'
import type { BusStatus } from './bus/bus'
import { invalidArgument } from './errors'
import type { Gateway } from './gateway'
import { BroadcastOperator, userTarget } from './hub/broadcast-operator'
import type { EventHandler, TypedEventHandler } from './hub/event-handlers'
import type { ConnectionHook, DisconnectHook } from './hub/connection-hooks'
import type { RecoveryCounters } from './hub/resume'
import { isValidRoomName, ROOM_NAME_RULE } from './protocol/names'
import type { PresenceEntry, PresenceStats } from './protocol/presence'
import type { Presence } from './presence/presence'
import { readRoomHistory, type HistoryOptions, type RoomHistoryPage } from './recovery/room-history'
import type { DataArgs, DefaultEventsMap, EventNames, EventsMap } from './typed-events'
import type { NodeId, Room } from './types'

/**
 * `app.realtime.io`: Socket.IO's `Server` typed with the app's event maps once it declared them
 * (Socket.IO's order: the events it listens to, then the events it emits), the plain `Server` until then.
 */
export type TypedSocketIoServer<ServerEvents extends EventsMap, ClientEvents extends EventsMap> =
  DefaultEventsMap extends ServerEvents & ClientEvents ? SocketIoServer : SocketIoServer<ClientEvents, ServerEvents>

/** Event names `on()` takes without a declared map: any, with `data` typed by the handler's own type argument. */
type LooseEventName<ClientEvents extends EventsMap> = DefaultEventsMap extends ClientEvents ? string : never

/**
 * The server API, decorated as `app.realtime`. Everything acts on, or answers for, the whole
 * cluster: queries (`count`, `roomSize`, `isUserConnected`, `connectedUsers`) ask every live node
 * about its own clients, never waiting for a node that has stopped and at most
 * `clusterRequestTimeout` for one that is alive but silent.
 *
 * `ServerEvents` and `ClientEvents` are the app's `ServerToClientEvents` and `ClientToServerEvents`
 * (declared on 'fastify-realtime'); left undeclared, any event name and data are accepted.
 */
export class Realtime<ServerEvents extends EventsMap = DefaultEventsMap, ClientEvents extends EventsMap = DefaultEventsMap> {
  /**
   * The Socket.IO server (undefined with `socketio: false`), as an escape hatch. In the realtime
   * namespace, `io.to(room).emit(event, data)` and `socket.join(room)` go through the shared rooms;
   * see docs/socketio.md for what stays Socket.IO-only.
   */
  readonly io: TypedSocketIoServer<ServerEvents, ClientEvents> | undefined
  private readonly gateway: Gateway
  private readonly everyone: BroadcastOperator<ServerEvents>

  constructor (gateway: Gateway, io?: SocketIoServer) {
    // The transports build an untyped Server: the event maps exist only in the app's types.
    this.io = io as TypedSocketIoServer<ServerEvents, ClientEvents> | undefined
    this.gateway = gateway
    this.everyone = new BroadcastOperator<ServerEvents>(gateway.hub)
  }

  /** This node's id, as carried on bus envelopes. */
  get nodeId (): NodeId {
    return this.gateway.hub.nodeId
  }

  /** Sends an event to every client on every node. Resolves false if the bus could not take it. */
  emit<E extends EventNames<ServerEvents>> (event: E, ...args: DataArgs<ServerEvents, E>): Promise<boolean> {
    return this.everyone.emit(event, ...args)
  }

  /** Every client, with volatile emits (see BroadcastOperator#volatile): `volatile.to(room).emit(…)`. */
  get volatile (): BroadcastOperator<ServerEvents> {
    return this.everyone.volatile
  }

  /** Selects members of these rooms; chain `.to()`, `.except()`, then `.emit()`. */
  to (rooms: Room | readonly Room[]): BroadcastOperator<ServerEvents> {
    return this.everyone.to(rooms)
  }

  /** Selects every client except members of these rooms. */
  except (rooms: Room | readonly Room[]): BroadcastOperator<ServerEvents> {
    return this.everyone.except(rooms)
  }

  /** The same as `to()`; reads better before `join()`, `leave()` and `disconnect()`. */
  in (rooms: Room | readonly Room[]): BroadcastOperator<ServerEvents> {
    return this.everyone.in(rooms)
  }

  /** Selects every connection of one user; their `event` frames carry no `room`. */
  toUser (userId: string | number): BroadcastOperator<ServerEvents> {
    return new BroadcastOperator<ServerEvents>(this.gateway.hub, userTarget(userId))
  }

  /** Disconnects every connection of one user, on every node. */
  disconnectUser (userId: string | number): Promise<boolean> {
    return this.toUser(userId).disconnect()
  }

  /**
   * Handles a client event; the handler's return value (or resolved value) is the client's ack.
   * With a declared `ClientToServerEvents`, only its events are taken, `data` is typed and the
   * result must be the ack; without one, `on<Data>(event, handler)` types `data` as the app says.
   */
  on<E extends EventNames<ClientEvents>> (event: E, handler: TypedEventHandler<ClientEvents, ServerEvents, E>): this
  on<Data = unknown> (event: LooseEventName<ClientEvents>, handler: EventHandler<Data, ServerEvents>): this
  on (event: string, handler: EventHandler<never, ServerEvents>): this {
    this.gateway.handlers.on(event, handler as EventHandler)
    return this
  }

  /**
   * Runs app code for every client once it is admitted and greeted, on either transport: it may
   * join it to rooms, emit to it, or refuse it by throwing (a RealtimeError closes it with its
   * code's close code, FORBIDDEN: 4403). The client's own requests wait until the hooks are done.
   */
  onConnection (hook: ConnectionHook<ServerEvents>): this {
    this.gateway.hooks.onConnection(hook as ConnectionHook)
    return this
  }

  /** Runs app code when a client the connection hooks ran for goes away, with the reason. */
  onDisconnect (hook: DisconnectHook<ServerEvents>): this {
    this.gateway.hooks.onDisconnect(hook as DisconnectHook)
    return this
  }

  /** Connected clients on every node. */
  async count (): Promise<number> {
    return sum(await this.gateway.hub.ask({ kind: 'count' }))
  }

  /** Members of a room on every node. */
  async roomSize (room: Room): Promise<number> {
    if (!isValidRoomName(room)) throw invalidArgument('room', ROOM_NAME_RULE)
    return sum(await this.gateway.hub.ask({ kind: 'roomSize', room }))
  }

  /** Whether the user has a connection on any node. */
  async isUserConnected (userId: string | number): Promise<boolean> {
    return await this.roomSize(userTarget(userId).rooms[0]) > 0
  }

  /** Ids of users with at least one connection on any node. */
  async connectedUsers (): Promise<string[]> {
    const users = new Set<string>()
    for (const answer of await this.gateway.hub.ask({ kind: 'users' })) for (const user of answer) users.add(user)
    return [...users]
  }

  /**
   * What a room's history keeps (the `recovery` option): by default its latest `maxReplay` events,
   * or those after `since`, with the room's position for clients to resume from. Rejects with
   * FST_REALTIME_REDIS_UNAVAILABLE when Redis cannot be read.
   */
  async history (room: Room, options?: HistoryOptions): Promise<RoomHistoryPage> {
    return await readRoomHistory(this.gateway.hub.streams, room, options)
  }

  /**
   * Who is in a room on every node, one entry per user (an anonymous connection is an entry of its
   * own, `userId: null`), each with its connections; at most `presence.listLimit` users. Needs the
   * `presence` option. Rejects with FST_REALTIME_REDIS_UNAVAILABLE when Redis cannot be read.
   */
  async presence (room: Room): Promise<PresenceEntry[]> {
    return await this.presenceOf('presence()').list(room)
  }

  /** How many users and connections are in a room on every node, in one O(1) read. Needs the `presence` option. */
  async presenceStats (room: Room): Promise<PresenceStats> {
    return await this.presenceOf('presenceStats()').stats(room)
  }

  private presenceOf (method: string): Presence {
    const presence = this.gateway.presence
    if (presence === undefined) throw invalidArgument(method, 'called with the presence option on')
    return presence
  }

  /** Whether this node currently reaches the others through the bus, and how often it did not. */
  busStatus (): BusStatus {
    return this.gateway.hub.busStatus()
  }

  /** Counters of this node: clients it had to cut off, and with `recovery` what resumes came to. */
  stats (): Readonly<Gateway['stats'] & RecoveryCounters> {
    return { ...this.gateway.stats, ...this.gateway.hub.recoveryCounters }
  }
}

function sum (answers: number[]): number {
  return answers.reduce((total, answer) => total + answer, 0)
}
