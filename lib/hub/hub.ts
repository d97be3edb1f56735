import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Bus, BusStatus } from '../bus/bus'
import type { ClusterQuery, EmitEnvelope, EmitTarget, Envelope, QueryAnswers, QueryKind, Selection } from '../bus/envelope'
import { invalidArgument } from '../errors'
import { encodeData } from '../protocol/codec'
import { historyCopies } from '../recovery/history-copies'
import type { ResolvedRecovery } from '../recovery/recovery-options'
import type { StreamPosition, StreamStamp } from '../recovery/stream-position'
import { isConnectionId, isJoinableRoom, JOINABLE_ROOM_RULE, RESET_EVENT } from '../protocol/names'
import { USER_ROOM_PREFIX, userRoom, type ConnectionId, type NodeId, type Room } from '../types'
import type { RoomChange } from './broadcast-operator'
import { ClusterQueries } from './cluster-queries'
import type { Connection, Membership } from './connection'
import { OutboundEvent } from './outbound-event'
import { RecentSelections } from './recent-selections'
import { Resumes, type PreparedResume, type RecoveryCounters } from './resume'
import { RoomMembers } from './room-members'
import { RoomStreams } from './room-streams'
import { RoomSubscriptions } from './room-subscriptions'

/**
 * Local state of one node: its connections and which rooms they are in. Emits, joins, leaves and
 * disconnects for a selection apply to local connections at once (never waiting on the bus) and
 * are handed to the bus for the other nodes, which apply them to theirs; the hub subscribes the
 * bus to a room only while the room has a local member. Cluster queries combine this node's
 * answer with every other live node's (see ClusterQueries).
 */
export class Hub implements Membership {
  readonly nodeId: NodeId = randomUUID()
  /** Disconnects, joins and leaves that connections not registered yet must still hear of. */
  readonly recentSelections = new RecentSelections()
  private readonly connections = new Map<ConnectionId, Connection>()
  /**
   * Connections the server has begun to close: out of every room and query already, but their
   * sockets are still open (a client may never answer a close frame), and shutdown waits for them.
   */
  private readonly closing = new Set<Connection>()
  private readonly members = new RoomMembers()
  private readonly membershipObservers: MembershipObserver[] = []
  private readonly bus: Bus
  private readonly log: FastifyBaseLogger
  private readonly queries: ClusterQueries
  private readonly subscriptions: RoomSubscriptions
  private readonly clusterRequestTimeout: number
  private emptyWaiters: Array<() => void> = []
  /** Rooms with history (the `recovery` option): their events go through streams, in offset order. */
  readonly streams: RoomStreams | undefined
  private readonly resumes: Resumes | undefined
  readonly recoveryCounters: RecoveryCounters = { roomsRecovered: 0, roomsNotRecovered: 0, streamResets: 0 }

  constructor (bus: Bus, log: FastifyBaseLogger, clusterRequestTimeout: number, recovery: ResolvedRecovery | false = false) {
    this.bus = bus
    this.log = log
    this.clusterRequestTimeout = clusterRequestTimeout
    this.queries = new ClusterQueries(this.nodeId, bus, clusterRequestTimeout, log)
    const streams = this.streams = recovery === false
      ? undefined
      : new RoomStreams(bus, recovery, { deliver: (envelope, stamp) => this.deliverStamped(envelope, stamp), reset: (room, position) => this.sendReset(room, position) })
    this.resumes = streams === undefined ? undefined : new Resumes(streams, (connection, envelope) => this.selects(connection, envelope), clusterRequestTimeout, this.recoveryCounters)
    this.subscriptions = new RoomSubscriptions(bus, clusterRequestTimeout, (room) => this.members.has(room), streams === undefined
      ? undefined
      : { subscribed: (room, inEffect) => streams.open(room, inEffect), unsubscribed: (room) => streams.close(room) })
  }

  /** Attaches the bus to this node; resolves once envelopes for it arrive. Rejects when the bus cannot start. */
  async start (): Promise<void> {
    const recovery = this.streams?.recovery
    await this.bus.attach({
      id: this.nodeId,
      listener: (envelope, stamp) => this.receive(envelope, stamp),
      log: this.log,
      subscribeTimeout: this.clusterRequestTimeout,
      history: recovery === undefined ? undefined : { size: recovery.historySize, ttl: recovery.historyTtl },
      resynced: () => this.streams?.catchUp(),
      delivered: (stamp) => this.streams?.get(stamp.room)?.hasDelivered(stamp) === true
    })
  }

  register (connection: Connection): void {
    this.connections.set(connection.id, connection)
  }

  isRegistered (connection: Connection): boolean {
    return this.connections.get(connection.id) === connection
  }

  /**
   * Called the moment the server decides to close a connection: from then on it is in no room,
   * no emit reaches it and no query counts it, while its socket finishes closing.
   */
  retire (connection: Connection): void {
    if (!this.connections.delete(connection.id)) return
    this.closing.add(connection)
    for (const room of connection.rooms) this.leave(connection, room)
  }

  /** Forgets a closed connection (retired or not) and takes it out of every room. */
  unregister (connection: Connection): void {
    this.retire(connection)
    if (this.closing.delete(connection) && this.connections.size === 0 && this.closing.size === 0) this.notifyEmpty()
  }

  /** Resolves once no connection is registered or still closing. */
  waitUntilEmpty (): Promise<void> {
    if (this.connections.size === 0 && this.closing.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.emptyWaiters.push(resolve))
  }

  private notifyEmpty (): void {
    const waiters = this.emptyWaiters
    this.emptyWaiters = []
    for (const resolve of waiters) resolve()
  }

  /** Puts a connection in a room on the server's authority; throws for a room it may never hold. */
  join (connection: Connection, room: Room): void {
    if (!isJoinableRoom(room)) throw invalidArgument('room', JOINABLE_ROOM_RULE)
    if (!mayHold(connection, room)) throw invalidArgument('room', 'not the user: room of another user (it receives that user\'s direct events)')
    this.add(connection, room)
  }

  private add (connection: Connection, room: Room): void {
    // A connection that is not registered (still being admitted, or gone) would keep the room
    // forever: nothing unregisters it again.
    if (connection.rooms.has(room) || !this.isRegistered(connection)) return
    connection.rooms.add(room)
    if (this.members.add(room, connection)) this.subscriptions.hold(room)
    for (const observer of this.membershipObservers) observer.joined(connection, room)
  }

  leave (connection: Connection, room: Room): void {
    if (!connection.rooms.delete(room)) return
    if (this.members.remove(room, connection)) this.subscriptions.release(room)
    for (const observer of this.membershipObservers) observer.left(connection, room)
  }

  /** Hears of every local join and leave, whoever made it (a client, the server, a retired connection). */
  observeMembership (observer: MembershipObserver): void {
    this.membershipObservers.push(observer)
  }

  /**
   * Subscribes the bus to rooms a connection is about to join, before it can be reached; the
   * returned function ends the reservation once the joins are done (or the client has gone).
   */
  reserveRooms (rooms: readonly Room[]): () => void {
    return this.subscriptions.reserve(rooms)
  }

  /** Resolves once envelopes for these rooms reach this node from every node, or after `clusterRequestTimeout`. */
  subscribed (rooms: Iterable<Room>): Promise<void> {
    return this.subscriptions.inEffect(rooms)
  }

  /**
   * Delivers to local members now and hands the emit to the bus for the other nodes. To rooms with
   * history, it is delivered once the bus has stored it (everywhere in its offset order), and
   * nowhere when the bus could not.
   */
  emit (target: EmitTarget, event: string, data: unknown): Promise<boolean> {
    const dataJson = encodeData(data)
    const streams = this.streams
    // A volatile emit is for now or never: it is not kept for anyone to come back to.
    if (streams !== undefined && target.volatile !== true && target.rooms.some((room) => streams.keeps(room))) return this.emitThroughHistory(streams, target, event, dataJson)
    this.deliver(target, event, dataJson)
    return this.bus.publish(this.emitEnvelope(target, event, dataJson))
  }

  private async emitThroughHistory (streams: RoomStreams, target: EmitTarget, event: string, dataJson: string): Promise<boolean> {
    if (target.rooms.length === 1) return await this.storeAndDeliver(streams, target.rooms[0], this.emitEnvelope(target, event, dataJson))
    const { copies, rest } = historyCopies(target, (room) => streams.keeps(room))
    const sent = copies.map(async ({ room, target: copy }) => await this.storeAndDeliver(streams, room, this.emitEnvelope(copy, event, dataJson)))
    if (rest !== undefined) {
      this.deliver(rest, event, dataJson)
      sent.push(this.bus.publish(this.emitEnvelope(rest, event, dataJson)))
    }
    return (await Promise.all(sent)).every(Boolean)
  }

  /** One room's copy of an emit: delivered here once the bus stored it, in the room's offset order. */
  private async storeAndDeliver (streams: RoomStreams, room: Room, envelope: EmitEnvelope): Promise<boolean> {
    const stamp = await this.bus.appendToHistory(room, envelope)
    if (stamp !== undefined) streams.receive(envelope, stamp)
    return stamp !== undefined
  }

  private emitEnvelope (target: EmitTarget, event: string, dataJson: string): EmitEnvelope {
    const envelope: EmitEnvelope = { type: 'emit', origin: this.nodeId, event, dataJson, ...selectionOf(target), omitRoom: target.omitRoom }
    if (target.volatile === true) envelope.volatile = true
    return envelope
  }

  /** Resolves once the streams of these rooms (those with history the node receives) know their position. */
  async positioned (rooms: Iterable<Room>): Promise<void> {
    await this.streams?.positioned(rooms)
  }

  /** Where each of these rooms with history is for a connection that joins it now: its events after it follow. */
  positionsOf (rooms: Iterable<Room>): Record<Room, StreamPosition> {
    const positions: Record<Room, StreamPosition> = {}
    for (const room of rooms) {
      const position = this.streams?.get(room)?.position()
      if (position !== undefined) positions[room] = position
    }
    return positions
  }

  /**
   * Reads ahead what a connection missed in rooms reserved for it, from the positions its client
   * had reached (see Resumes); completed where it joins them.
   */
  async prepareResume (requested: ReadonlyMap<Room, StreamPosition>): Promise<PreparedResume | undefined> {
    return await this.resumes?.prepare(requested)
  }

  /** Makes the selected connections join or leave rooms, here now and on the other nodes through the bus. */
  changeRooms (selection: Selection, change: RoomChange, rooms: readonly Room[]): Promise<boolean> {
    this.applyRoomChange(selection, change, rooms)
    return this.bus.publish({ type: change, origin: this.nodeId, ...selectionOf(selection), targetRooms: rooms })
  }

  /** Disconnects the selected connections, here now and on the other nodes through the bus. */
  disconnect (selection: Selection): Promise<boolean> {
    this.disconnectSelected(selection)
    return this.bus.publish({ type: 'disconnect', origin: this.nodeId, ...selectionOf(selection) })
  }

  /** Every live node's answer to a query about its connections, this node's first. */
  ask<K extends QueryKind> (query: Extract<ClusterQuery, { kind: K }>): Promise<Array<QueryAnswers[K]>> {
    return this.queries.ask(query, this.answer(query) as QueryAnswers[K])
  }

  private receive (envelope: Envelope, stamp?: StreamStamp): void {
    // This node's own emits through a room's history come back too: the room's stream drops them as duplicates.
    if (stamp !== undefined && envelope.type === 'emit') {
      this.streams?.receive(envelope, stamp)
      return
    }
    if (envelope.origin === this.nodeId) return
    switch (envelope.type) {
      case 'emit':
        this.deliver(envelope, envelope.event, envelope.dataJson)
        break
      case 'join':
      case 'leave':
        this.applyRoomChange(envelope, envelope.type, envelope.targetRooms)
        break
      case 'disconnect':
        this.disconnectSelected(envelope)
        break
      case 'request':
        void this.bus.sendToNode(envelope.origin, { type: 'response', origin: this.nodeId, requestId: envelope.requestId, answer: this.answer(envelope.query) })
        break
      case 'response':
        this.queries.receive(envelope)
        break
      default:
        this.log.debug({ envelope }, 'fastify-realtime: ignored an unknown bus envelope')
    }
  }

  private deliver (target: EmitTarget, event: string, dataJson: string): void {
    // An event to one connection (`to(connectionId)`) is a direct send: its frames name no room.
    const soleRoom = target.rooms.length === 1 && !isConnectionId(target.rooms[0]) ? target.rooms[0] : undefined
    const message = new OutboundEvent(event, dataJson, target.omitRoom ? undefined : soleRoom, undefined, target.volatile === true)
    // The hot path of every fan-out: one plain loop, no intermediate collections.
    const excluded = target.except.length > 0 ? this.membersOf(target.except) : undefined
    for (const connection of this.recipients(target.rooms)) {
      if (connection.id === target.exceptConnectionId || excluded?.has(connection) === true) continue
      connection.deliver(message)
    }
  }

  /** One event of a room's stream, in its offset order, to the room's local members. */
  private deliverStamped (envelope: EmitEnvelope, stamp: StreamStamp): void {
    const message = new OutboundEvent(envelope.event, envelope.dataJson, envelope.omitRoom ? undefined : stamp.room, stamp)
    const excluded = envelope.except.length > 0 ? this.membersOf(envelope.except) : undefined
    for (const connection of this.members.of(stamp.room)) {
      if (connection.id === envelope.exceptConnectionId || excluded?.has(connection) === true) continue
      connection.deliver(message)
    }
  }

  /** Whether a stored emit selects this connection, a member of its room (a replay). */
  private selects (connection: Connection, envelope: EmitEnvelope): boolean {
    return connection.id !== envelope.exceptConnectionId && !envelope.except.some((room) => room === connection.id || connection.rooms.has(room))
  }

  private sendReset (room: Room, position: StreamPosition): void {
    this.recoveryCounters.streamResets++
    this.log.debug({ room, position }, 'fastify-realtime: a room\'s events could not all be delivered in order; its members were told to reload it')
    this.deliver({ rooms: [room], except: [], omitRoom: false }, RESET_EVENT, JSON.stringify({ room, position }))
  }

  private applyRoomChange (selection: Selection, change: RoomChange, rooms: readonly Room[]): void {
    for (const connection of this.selected(selection)) this.changeRoomsOf(connection, change, rooms)
    this.recentSelections.recordRoomChange(selection, change, rooms)
  }

  /** Applies a join or leave to one connection (also when admission replays one it missed). */
  changeRoomsOf (connection: Connection, change: RoomChange, rooms: readonly Room[]): void {
    for (const room of rooms) {
      // Envelopes from other nodes and emitters were checked there; a room none may hold is skipped.
      if (change === 'leave') this.leave(connection, room)
      else if (mayJoin(connection, room)) this.add(connection, room)
    }
  }

  private disconnectSelected (selection: Selection): void {
    for (const connection of this.selected(selection)) connection.disconnect()
    this.recentSelections.record(selection)
  }

  /** This node's own answer to a cluster query. */
  private answer (query: ClusterQuery): QueryAnswers[QueryKind] {
    switch (query.kind) {
      case 'count': return this.connections.size
      case 'roomSize': return this.roomSize(query.room)
      case 'users': return this.localUsers()
    }
  }

  private localUsers (): string[] {
    const users = new Set<string>()
    for (const connection of this.connections.values()) {
      if (connection.userId !== null) users.add(connection.userId)
    }
    return [...users]
  }

  /**
   * The local connections a selection names, as a snapshot: joining, leaving and disconnecting
   * change the very member sets the selection walks.
   */
  private selected (selection: Selection): Connection[] {
    const excluded = selection.except.length > 0 ? this.membersOf(selection.except) : undefined
    const chosen: Connection[] = []
    for (const connection of this.recipients(selection.rooms)) {
      if (connection.id === selection.exceptConnectionId || excluded?.has(connection) === true) continue
      chosen.push(connection)
    }
    return chosen
  }

  private recipients (rooms: readonly Room[]): Iterable<Connection> {
    if (rooms.length === 0) return this.connections.values()
    if (rooms.length === 1) return this.inRoom(rooms[0])
    return this.membersOf(rooms)
  }

  /**
   * A room's local members; a connection id selects that connection (`to(connectionId)`), found
   * in the registry rather than kept as a room of its own, which would cost every connection memory.
   */
  private inRoom (room: Room): Iterable<Connection> {
    if (!isConnectionId(room)) return this.members.of(room)
    const connection = this.connections.get(room)
    return connection === undefined ? [] : [connection]
  }

  private membersOf (rooms: readonly Room[]): Set<Connection> {
    const union = new Set<Connection>()
    for (const room of rooms) {
      for (const connection of this.inRoom(room)) union.add(connection)
    }
    return union
  }

  /** Keeps a recovery session for `ttl` milliseconds where every node can take it (see Bus.saveSession). */
  saveSession (id: string, value: string, ttl: number): Promise<boolean> {
    return this.bus.saveSession(id, value, ttl)
  }

  /** Takes a recovery session, once. */
  takeSession (id: string): Promise<string | undefined> {
    return this.bus.takeSession(id)
  }

  busStatus (): BusStatus {
    return this.bus.status()
  }

  /** Local connections in a room. */
  roomSize (room: Room): number {
    return this.members.size(room)
  }

  /** Local connections; the heartbeat and shutdown walk them. */
  allConnections (): IterableIterator<Connection> {
    return this.connections.values()
  }

  /** Connections the server is closing whose sockets are still open; shutdown ends them. */
  closingConnections (): IterableIterator<Connection> {
    return this.closing.values()
  }
}

/** Told of each local join and leave, after it took effect; must not throw. */
export interface MembershipObserver {
  joined: (connection: Connection, room: Room) => void
  left: (connection: Connection, room: Room) => void
}

/** Whether a connection may be in a room at all, whoever puts it there: a joinable name it may hold. */
export function mayJoin (connection: Pick<Connection, 'userId'>, room: Room): boolean {
  return isJoinableRoom(room) && mayHold(connection, room)
}

/** A `user:` room belongs to its user's own connections: anyone else in it would get their direct events. */
export function mayHold (connection: Pick<Connection, 'userId'>, room: Room): boolean {
  return !room.startsWith(USER_ROOM_PREFIX) || (connection.userId !== null && room === userRoom(connection.userId))
}

/** Only the selection's own fields, whatever else the object carries, go on the bus. */
function selectionOf (selection: Selection): Selection {
  const { rooms, except, exceptConnectionId } = selection
  return exceptConnectionId === undefined ? { rooms, except } : { rooms, except, exceptConnectionId }
}
