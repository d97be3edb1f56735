import type { Namespace, Socket } from 'socket.io'
import type { Gateway } from '../../gateway'
import type { RoomStream } from '../../hub/room-stream'
import type { RoomStreams } from '../../hub/room-streams'
import { preConnectSockets, restoreSocket, socketPid } from '../../internals/socket-io'
import type { ResolvedRecovery } from '../../recovery/recovery-options'
import { positionsAt } from '../../recovery/session-log'
import { decodeSession, MAX_PID_LENGTH, sessionKey, type SocketIoSession } from '../../recovery/socketio-session'
import { parseToken, TokenIssuer } from '../../recovery/socketio-token'
import type { StreamPosition } from '../../recovery/stream-position'
import type { Identity, Room } from '../../types'
import { createTokenedPacketEncoder, type TokenedPacketEncoder } from './event-packet'
import { RecoveringConnection } from './recovering-connection'
import { connectionOf } from './socketio-connection'

/** A session the middleware restored, on its way to the connection's admission. */
export interface RestoredSession {
  /** The session's rooms and where the client's events of each stopped (rooms without history at `{ 0, '' }`: joined, not replayed). */
  readonly resume: ReadonlyMap<Room, StreamPosition>
  /** The stored session, to put back should the connection end before its welcome. */
  readonly value: string
  readonly expiresAt: number
}

/** Connections one checkpoint turn saves before it yields to the event loop. */
const CHECKPOINT_BATCH = 256
/** Checkpoint rounds: every few seconds, and several times within maxDisconnectionDuration. */
const MAX_CHECKPOINT_INTERVAL_MS = 5_000
const MIN_CHECKPOINT_INTERVAL_MS = 100

/** The stream position an empty room's members start from. */
const START: StreamPosition = Object.freeze({ offset: 0, epoch: '' })

/**
 * Socket.IO's connection state recovery for the realtime namespace, over the hub's room histories
 * and the bus's session store (see docs/socketio.md#recovery). One per endpoint:
 *
 * - tokens: the node's TokenIssuer, and the packet encoder that ends every hub event with one;
 * - restore: in the namespace middleware, once the token is verified again, the session named by
 *   the client's `pid` is taken (once, GETDEL) and restored only if it is the same user's, its log
 *   places the client's offset, and every room with history can replay everything after it;
 *   otherwise the socket is a fresh one;
 * - persist: on Socket.IO's recoverable disconnects (the adapter's persistSession), with the TTL
 *   maxDisconnectionDuration;
 * - checkpoints: connected sessions are saved every round once they stopped changing, and at least
 *   every maxDisconnectionDuration / 2, so that a node that dies leaves its sessions behind;
 * - a disconnect that is not recoverable drops the connection's checkpoint.
 */
export class SocketIoRecovery {
  readonly issuer = new TokenIssuer()
  readonly options: ResolvedRecovery
  readonly encoder: TokenedPacketEncoder
  private readonly gateway: Gateway
  private readonly streams: RoomStreams
  private readonly namespaceName: string
  private namespace: Namespace | undefined
  private readonly tracked = new Set<RecoveringConnection>()
  private timer: NodeJS.Timeout | undefined
  private checkpointing = false
  /** Streams whose position is known (their room's top was read), and those being watched for it. */
  private readonly positionedStreams = new WeakSet<RoomStream>()
  private readonly watchedStreams = new WeakSet<RoomStream>()
  private warnedUnsaveable = false

  constructor (gateway: Gateway, options: ResolvedRecovery, streams: RoomStreams, namespaceName: string) {
    this.gateway = gateway
    this.options = options
    this.streams = streams
    this.namespaceName = namespaceName
    this.encoder = createTokenedPacketEncoder(namespaceName, this.issuer)
  }

  /** The namespace it serves, once Socket.IO made it (after the adapter, which needs this first). */
  bind (namespace: Namespace): void {
    this.namespace = namespace
  }

  get checkpointInterval (): number {
    return Math.min(MAX_CHECKPOINT_INTERVAL_MS, Math.max(MIN_CHECKPOINT_INTERVAL_MS, Math.floor(this.options.maxDisconnectionDuration / 4)))
  }

  keeps (room: Room): boolean {
    return this.streams.keeps(room)
  }

  /**
   * The middleware's part, after the client's token was verified: restores the session the client
   * comes back to (its id, pid, `socket.data`; its rooms and missed events follow at admission) or
   * leaves the socket a fresh one (undefined). Never rejects, and waits at most
   * `clusterRequestTimeout` for the bus.
   */
  async restore (socket: Socket, identity: Identity): Promise<RestoredSession | undefined> {
    const { pid, offset } = socket.handshake.auth as Record<string, unknown>
    // What socket.io-client sends on reconnect; Socket.IO itself tries nothing without both.
    if (typeof pid !== 'string' || pid === '' || pid.length > MAX_PID_LENGTH || typeof offset !== 'string') return undefined
    try {
      const restored = await this.within(this.take(pid, offset, identity))
      if (restored === undefined) return undefined
      if (socket.conn.readyState !== 'open' || this.namespace === undefined) {
        // The client left while its session was looked up: it can still come back to it.
        this.putBack(restored.restore)
        return undefined
      }
      restoreSocket(this.namespace, socket, restored.session.sid, pid)
      socket.data = restored.session.data
      return restored.restore
    } catch (err) {
      // A bug of ours must cost the client its recovery, never its connection.
      this.gateway.log.error({ err }, 'fastify-realtime: a Socket.IO session could not be restored')
      return undefined
    }
  }

  private async take (pid: string, offset: string, identity: Identity): Promise<{ session: SocketIoSession, restore: RestoredSession } | undefined> {
    let value = await this.gateway.hub.takeSession(sessionKey(this.namespaceName, pid))
    if (value === undefined) return undefined
    let session = decodeSession(value)
    // The session of another user is not theirs to take (pids are secret, but a token decides who connects).
    if (session === undefined || session.pid !== pid || session.userId !== identity.userId) return undefined
    // The client's old connection is still open here (its transport died unnoticed): its log is
    // newer than any checkpoint, and the connection must not outlive its client's new one.
    const earlier = this.openConnection(session.sid, pid)
    if (earlier !== undefined) {
      const now = earlier.snapshot()
      earlier.supersede()
      const live = now === undefined ? undefined : decodeSession(now)
      if (now !== undefined && live !== undefined) {
        value = now
        session = live
      }
    }
    // Two sockets of one id on this node would be one too many (the hub knows connections by id).
    if (this.idInUse(session.sid)) return undefined
    const token = parseToken(offset)
    const historyRooms = session.rooms.filter((room) => this.keeps(room))
    const positions = token === undefined ? undefined : positionsAt(session.log, token, historyRooms)
    if (positions === undefined || !(await this.replayable(positions))) return undefined
    const resume = new Map<Room, StreamPosition>()
    for (const room of session.rooms) resume.set(room, positions.get(room) ?? START)
    return { session, restore: { resume, value, expiresAt: session.expiresAt } }
  }

  private idInUse (sid: string): boolean {
    const namespace = this.namespace
    return namespace === undefined || namespace.sockets.has(sid) || preConnectSockets(namespace)?.has(sid) === true
  }

  /** A connection of this node with that socket id and pid, still open. */
  private openConnection (sid: string, pid: string): RecoveringConnection | undefined {
    const socket = this.namespace?.sockets.get(sid)
    if (socket === undefined || socketPid(socket) !== pid) return undefined
    const connection = connectionOf(socket)
    return connection instanceof RecoveringConnection ? connection : undefined
  }

  /**
   * Whether every room's history still has everything after the client's position: the same
   * stream (epoch), not past its top (a stream that lost its tail), at most `maxReplay` behind.
   * Read from the bus (the authority; the node's own stream may be behind), as admission's
   * replay will.
   */
  private async replayable (positions: ReadonlyMap<Room, StreamPosition>): Promise<boolean> {
    const checks = [...positions].map(async ([room, from]) => {
      const read = await this.streams.top(room)
      if (read === undefined) return false
      const epoch = read.epoch ?? ''
      // A client that joined before the room's stream began continues the stream from its start.
      const fromEpoch = from.epoch === '' && from.offset === 0 ? epoch : from.epoch
      return fromEpoch === epoch && from.offset <= read.top && read.top - from.offset <= this.options.maxReplay
    })
    return (await Promise.all(checks)).every(Boolean)
  }

  /** Waits for `work` at most clusterRequestTimeout; a lookup that takes longer leaves the socket fresh. */
  private async within<T> (work: Promise<T | undefined>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined
    const timeUp = new Promise<undefined>((resolve) => { timer = setTimeout(() => { resolve(undefined) }, this.gateway.options.clusterRequestTimeout) })
    try {
      return await Promise.race([work.catch(() => undefined), timeUp])
    } finally {
      clearTimeout(timer)
    }
  }

  /** The adapter's persistSession, called by Socket.IO on a recoverable disconnect of socket `sid`. */
  persist (sid: string): void {
    const socket = this.namespace?.sockets.get(sid)
    const connection = socket === undefined ? undefined : connectionOf(socket)
    if (connection instanceof RecoveringConnection) connection.persist()
  }

  save (pid: string, value: string): void {
    void this.gateway.hub.saveSession(sessionKey(this.namespaceName, pid), value, this.options.maxDisconnectionDuration)
  }

  /** Puts back a session that was taken for a connection that ended before its welcome, until it would have expired. */
  putBack (restored: RestoredSession): void {
    const ttl = restored.expiresAt - Date.now()
    const session = decodeSession(restored.value)
    if (ttl > 0 && session !== undefined) void this.gateway.hub.saveSession(sessionKey(this.namespaceName, session.pid), restored.value, ttl)
  }

  /** No session stays: a disconnect the client asked for, or the server made. */
  drop (pid: string): void {
    void this.gateway.hub.takeSession(sessionKey(this.namespaceName, pid))
  }

  unsaveable (connectionId: string): void {
    if (this.warnedUnsaveable) return
    this.warnedUnsaveable = true
    this.gateway.log.warn({ connectionId }, 'fastify-realtime: a Socket.IO session could not be kept for recovery: socket.data is not JSON-serialisable, or too large (reported once)')
  }

  /**
   * Where a connection that joins `room` now is: its stream's position when the stream knows it;
   * undefined when it does not yet (the room is new on this node, its top is being read): the
   * room's next event, or its position once known, settles it (see SessionLog).
   */
  positionOnJoin (room: Room): StreamPosition | undefined {
    const stream = this.streams.get(room)
    if (stream !== undefined && this.positionedStreams.has(stream)) return stream.position()
    if (stream !== undefined) this.watch(stream)
    // The hub opens the stream of a room new on this node right after the join: watched then.
    else queueMicrotask(() => { this.watchRoom(room) })
    return undefined
  }

  /** A room's current position, if its stream knows it. */
  positionNow (room: Room): StreamPosition | undefined {
    const stream = this.streams.get(room)
    if (stream === undefined) return undefined
    if (this.positionedStreams.has(stream)) return stream.position()
    this.watch(stream)
    return undefined
  }

  /** A connection was welcomed: its session is checkpointed from now on. */
  track (connection: RecoveringConnection, rooms: Iterable<Room> = []): void {
    for (const room of rooms) this.watchRoom(room)
    this.tracked.add(connection)
    if (this.timer === undefined) {
      this.timer = setInterval(() => { this.checkpointRound() }, this.checkpointInterval)
      this.timer.unref()
    }
  }

  untrack (connection: RecoveringConnection): void {
    this.tracked.delete(connection)
    if (this.tracked.size > 0 || this.timer === undefined) return
    clearInterval(this.timer)
    this.timer = undefined
  }

  private watchRoom (room: Room): void {
    const stream = this.streams.get(room)
    if (stream !== undefined) this.watch(stream)
  }

  private watch (stream: RoomStream): void {
    if (this.watchedStreams.has(stream)) return
    this.watchedStreams.add(stream)
    void stream.positioned.then(() => { this.positionedStreams.add(stream) })
  }

  /** One checkpoint round, in batches so that a node with many connections keeps serving meanwhile. */
  private checkpointRound (): void {
    if (this.checkpointing) return
    this.checkpointing = true
    const now = Date.now()
    const refreshMs = this.options.maxDisconnectionDuration / 2
    const connections = this.tracked.values()
    const batch = (): void => {
      for (let n = 0; n < CHECKPOINT_BATCH; n++) {
        const next = connections.next()
        if (next.done === true) {
          this.checkpointing = false
          return
        }
        next.value.checkpoint(now, refreshMs)
      }
      setImmediate(batch)
    }
    batch()
  }
}
