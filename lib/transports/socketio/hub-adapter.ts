import type { Namespace } from 'socket.io'
import { Adapter, type BroadcastOptions, type Room, type SocketId } from 'socket.io-adapter'
import { PacketType, type Packet } from 'socket.io-parser'
import type { EmitTarget } from '../../bus/envelope'
import { invalidArgument } from '../../errors'
import { mayHold, type Hub } from '../../hub/hub'
import { isJoinableRoom, isValidEventName, JOINABLE_ROOM_RULE } from '../../protocol/names'
import { connectionOf } from './socketio-connection'
import type { SocketIoRecovery } from './socketio-recovery'

interface HubEmit {
  target: EmitTarget
  event: string
  data: unknown
}

/**
 * A Socket.IO adapter that makes `app.realtime.io` share the hub: in the realtime namespace,
 * `io.to(room).emit(event, data)` is published through the hub (so it reaches ws members and other
 * nodes, like `app.realtime.to(room).emit`), and `socket.join` / `socket.leave` move the socket in
 * the hub's rooms. The in-memory bookkeeping is kept (the connection mirrors its hub rooms into
 * it), so `socket.rooms`, `fetchSockets()` and the like see the same rooms on this node.
 *
 * What the hub cannot carry is left to Socket.IO (its members on this node only): emits with
 * acks, several arguments or binary data, `local` emits, targets naming socket ids, and every
 * other namespace.
 *
 * With `recovery` (Socket.IO's connectionStateRecovery is then on, and `socket.emit` comes through
 * `broadcast` too), every event packet without an ack that Socket.IO itself sends in the realtime
 * namespace ends with a token, as socket.io-adapter's SessionAwareAdapter appends its offsets, and
 * a recoverable disconnect persists the connection's session. Sessions are restored by the
 * namespace middleware once the token is verified again, not here: `restoreSession` (which
 * Socket.IO calls before any middleware) stays the base adapter's, which finds none.
 */
export function createHubAdapter (hub: Hub, realtimeNamespace: string, recovery?: SocketIoRecovery): typeof Adapter {
  return class HubAdapter extends Adapter {
    private readonly bridged: boolean
    private readonly namespace: Namespace

    constructor (namespace: Namespace) {
      super(namespace)
      this.namespace = namespace
      this.bridged = namespace.name === realtimeNamespace
    }

    override broadcast (packet: Packet, options: BroadcastOptions): void {
      const emit = this.bridged ? this.asHubEmit(packet, options) : undefined
      if (emit !== undefined) {
        void hub.emit(emit.target, emit.event, emit.data)
        return
      }
      // One token per broadcast, shared by its recipients (socket.emit: one recipient). Volatile
      // packets too: without a token, an app's trailing string argument would become the offset.
      if (recovery !== undefined && this.bridged && isEventWithoutAck(packet)) (packet.data as unknown[]).push(recovery.issuer.take().token)
      super.broadcast(packet, options)
    }

    override persistSession (session: Parameters<Adapter['persistSession']>[0]): void {
      if (this.bridged) recovery?.persist(session.sid)
    }

    override addAll (id: SocketId, rooms: Set<Room>): void {
      // Checked before Socket.IO's own bookkeeping takes the room: a refused join must leave
      // nothing behind that Socket.IO-only emits (socket ids, acks, several arguments) would reach.
      if (this.bridged) for (const room of rooms) this.checkJoinable(id, room)
      super.addAll(id, rooms)
      const connection = this.connection(id)
      if (connection === undefined) return
      for (const room of rooms) if (isSharedRoom(room, id)) hub.join(connection, room)
    }

    override del (id: SocketId, room: Room): void {
      super.del(id, room)
      const connection = this.connection(id)
      if (connection !== undefined && isSharedRoom(room, id)) hub.leave(connection, room)
    }

    /**
     * A socket of the realtime namespace may hold its own id (Socket.IO's room of the socket) and the
     * rooms any connection may join; never another connection's id, another `$` name, or another
     * user's `user:` room, whoever asks (`socket.join` through `app.realtime.io` included).
     */
    private checkJoinable (id: SocketId, room: Room): void {
      if (room === id) return
      if (!isJoinableRoom(room)) throw invalidArgument('room', JOINABLE_ROOM_RULE)
      const socket = this.namespace.sockets.get(id)
      const holder = { userId: socket === undefined ? null : connectionOf(socket)?.userId ?? null }
      if (!mayHold(holder, room)) throw invalidArgument('room', 'not the user: room of another user')
    }

    /** The hub connection of a socket, once it is admitted (membership before that would outlive a failed setup). */
    private connection (id: SocketId): ReturnType<typeof connectionOf> {
      if (!this.bridged) return undefined
      const socket = this.namespace.sockets.get(id)
      const connection = socket === undefined ? undefined : connectionOf(socket)
      return connection !== undefined && hub.isRegistered(connection) ? connection : undefined
    }

    private asHubEmit (packet: Packet, options: BroadcastOptions): HubEmit | undefined {
      const args: unknown = packet.data
      if (packet.type !== PacketType.EVENT || options.flags?.local === true || !Array.isArray(args) || args.length > 2) return undefined
      const [event, data] = args as [unknown, unknown]
      if (!isValidEventName(event) || containsBinary(data, 0, new WeakMap())) return undefined
      const rooms = [...options.rooms]
      // Socket ids (and any other connection id) are no hub rooms: Socket.IO reaches those sockets itself.
      if (!rooms.every(isJoinableRoom)) return undefined
      const exceptSockets: SocketId[] = []
      const exceptRooms: Room[] = []
      for (const room of options.except ?? []) {
        if (this.sids.has(room)) exceptSockets.push(room)
        else if (isJoinableRoom(room)) exceptRooms.push(room)
        else return undefined
      }
      // `socket.broadcast` / `socket.to()` leave out their own socket; the hub can leave out one connection.
      if (exceptSockets.length > 1) return undefined
      const target: EmitTarget = exceptSockets.length === 1
        ? { rooms, except: exceptRooms, exceptConnectionId: exceptSockets[0], omitRoom: false }
        : { rooms, except: exceptRooms, omitRoom: false }
      // `io.volatile.emit(…)`: as volatile through the hub as `app.realtime.volatile`.
      if (options.flags?.volatile === true) target.volatile = true
      return { target, event, data }
    }
  }
}

function isEventWithoutAck (packet: Packet): boolean {
  return (packet.type === PacketType.EVENT || packet.type === PacketType.BINARY_EVENT) && packet.id === undefined && Array.isArray(packet.data)
}

/**
 * A socket's own room (its id, a `$c:` connection id), the plugin's other reserved names and names
 * the wire cannot carry stay Socket.IO's own: they never enter the hub's rooms.
 */
function isSharedRoom (room: Room, socketId: SocketId): boolean {
  return room !== socketId && isJoinableRoom(room)
}

// Deeper than any real payload.
const MAX_BINARY_SEARCH_DEPTH = 32

/**
 * Whether Socket.IO would send `value` as a binary packet, which the hub's JSON cannot carry. An
 * object is looked into again only when reached at a shallower depth than before (`seenAt`), so
 * an object graph with cycles or shared parts takes linear time, and a cycle then fails in
 * JSON.stringify, as it would in Socket.IO.
 */
function containsBinary (value: unknown, depth: number, seenAt: WeakMap<object, number>): boolean {
  if (typeof value !== 'object' || value === null || depth > MAX_BINARY_SEARCH_DEPTH) return false
  if ((seenAt.get(value) ?? Infinity) <= depth) return false
  seenAt.set(value, depth)
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value) || value instanceof Blob) return true
  if (Array.isArray(value)) return value.some((item) => containsBinary(item, depth + 1, seenAt))
  const { toJSON } = value as { toJSON?: unknown }
  if (typeof toJSON === 'function') return containsBinary(toJSON.call(value), depth + 1, seenAt)
  return Object.values(value).some((item) => containsBinary(item, depth + 1, seenAt))
}
