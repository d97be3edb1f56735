import type { Socket } from 'socket.io'
import type { Gateway } from '../../gateway'
import { OutboundEvent } from '../../hub/outbound-event'
import { terminateWebSocket } from '../../internals/engine-io'
import { socketPid } from '../../internals/socket-io'
import type { WelcomePayload } from '../../protocol/frames'
import { RESET_EVENT } from '../../protocol/names'
import { SessionLog } from '../../recovery/session-log'
import { encodeSession } from '../../recovery/socketio-session'
import type { StreamPosition } from '../../recovery/stream-position'
import type { Identity, Room } from '../../types'
import type { TokenedPacketEncoder } from './event-packet'
import { MirroredRooms } from './mirrored-rooms'
import type { RecoveryWelcome } from './socketio-admission'
import { terminateSession } from './socketio-close'
import { SocketIoConnection } from './socketio-connection'
import type { RestoredSession, SocketIoRecovery } from './socketio-recovery'

/**
 * A Socket.IO connection with `recovery` on (the plain SocketIoConnection costs nothing of it).
 * Every event it is sent ends with a token (see TokenedPacketEncoder), and from its welcome on it
 * keeps its session log (see recovery/session-log): the changes of its position in each room with
 * history, so that the token its client sends back names a position in every room of the session.
 * Its session is persisted on the disconnects Socket.IO persists for, checkpointed while it is
 * connected, and dropped on any other disconnect.
 */
export class RecoveringConnection extends SocketIoConnection implements RecoveryWelcome {
  private readonly recovery: SocketIoRecovery
  /** The session the client came back to, until its welcome (put back should it close before). */
  private restored: RestoredSession | undefined
  private log: SessionLog | undefined
  /** Its session changed since its last checkpoint. */
  private changed = false
  /** It changed since the previous checkpoint round: it is not saved while it keeps changing. */
  private changedThisRound = false
  /** When its session was last saved (ms since the epoch); 0: never. */
  private savedAt = 0
  /** A hash of the `socket.data` last saved. */
  private savedData = 0
  /** Its session was persisted, dropped or taken over: nothing more is saved. */
  private ended = false
  /** Its client came back on another connection while this one was still open. */
  private superseded = false

  constructor (socket: Socket, identity: Identity, gateway: Gateway, encodePacket: TokenedPacketEncoder, recovery: SocketIoRecovery, restored: RestoredSession | undefined) {
    super(socket, identity, gateway, encodePacket)
    this.recovery = recovery
    this.restored = restored
  }

  protected override createRooms (socket: Socket): MirroredRooms {
    return new RecordedRooms(socket, this)
  }

  protected override recoveryWelcome (): RecoveryWelcome {
    return this
  }

  get resume (): ReadonlyMap<Room, StreamPosition> | undefined {
    return this.restored?.resume
  }

  beginLog (welcome: WelcomePayload): void {
    this.log = new SessionLog(this.recovery.issuer.tag, this.recovery.issuer.current, welcome.positions ?? {})
    this.recovery.track(this, Object.keys(welcome.positions ?? {}))
    this.markChanged()
  }

  /**
   * A room of the session that the middleware found complete but whose replay could not be served
   * at the welcome after all (more events came meanwhile than `maxReplay`, the stream was lost) is
   * told `recovery:reset`, as a gap during the connection would be: its events follow from the
   * position given. (socket.recovered already said true: the CONNECT reply precedes admission.)
   */
  welcomed (welcome: WelcomePayload): void {
    const restored = this.restored
    this.restored = undefined
    if (restored === undefined || welcome.resumed === undefined) return
    for (const [room, recovered] of Object.entries(welcome.resumed)) {
      const position = welcome.positions?.[room]
      if (recovered || position === undefined || !this.rooms.has(room) || !this.recovery.keeps(room)) continue
      this.deliver(new OutboundEvent(RESET_EVENT, JSON.stringify({ room, position }), room))
    }
  }

  override deliver (message: OutboundEvent): void {
    if (!this.isOpen || this.dropsVolatile(message)) return
    // The encoder this connection was given is the tokened one (see the constructor).
    const encoded = message.encodeOnce(this.encodePacket as TokenedPacketEncoder)
    this.socket.conn.write(encoded.packet, encoded.options)
    const log = this.log
    if (log === undefined) return
    const stamp = message.position
    if (stamp !== undefined) {
      log.delivered(stamp.room, stamp.offset, stamp.epoch, this.recovery.issuer.current)
    } else if (encoded.reset !== undefined && encoded.seq !== undefined) {
      // Made before its token's number was taken: a client holding that token has seen it.
      log.reset(encoded.reset.room, encoded.reset.position, encoded.seq - 1)
    } else {
      return
    }
    this.markChanged()
  }

  /** Called by RecordedRooms once the hub put the connection in a room. */
  roomJoined (room: Room): void {
    if (this.log === undefined) return
    if (this.recovery.keeps(room)) this.log.joined(room, this.recovery.positionOnJoin(room), this.recovery.issuer.current)
    this.markChanged()
  }

  roomLeft (room: Room): void {
    if (this.log === undefined) return
    if (this.recovery.keeps(room)) this.log.left(room, this.recovery.issuer.current)
    this.markChanged()
  }

  /**
   * Socket.IO's persistSession: the connection ended in a way its client comes back from
   * (transport closed or failed, ping timeout, forced close, shutdown). Before its welcome there is
   * nothing of its own to keep, but the session it was restored from goes back.
   */
  persist (): void {
    if (this.ended) return
    this.ended = true
    if (this.log === undefined) {
      if (this.restored !== undefined) this.recovery.putBack(this.restored)
      return
    }
    // Retired by the server (it is closing the connection): not a session to come back to.
    if (!this.gateway.hub.isRegistered(this)) {
      this.dropCheckpoint()
      return
    }
    this.save(Date.now())
  }

  override onDisconnected (reason: string): void {
    // Not persisted: a disconnect the client asked for, or one the server made; no session stays.
    if (!this.ended) {
      this.ended = true
      this.dropCheckpoint()
    }
    this.recovery.untrack(this)
    super.onDisconnected(reason)
  }

  /**
   * A checkpoint round (see SocketIoRecovery): saves the session if it changed and has stopped
   * changing (a checkpoint taken while events keep coming is outdated by the next one, and a
   * client holding a newer token could not use it), or if its last save is `refreshMs` old (so
   * that it never expires while the client is connected), or if `socket.data` changed.
   */
  checkpoint (now: number, refreshMs: number): void {
    if (this.ended) return
    const due = now - this.savedAt >= refreshMs
    if (this.changedThisRound) {
      this.changedThisRound = false
      if (!due) return
    } else if (!this.changed && !due && hashOf(jsonOf(this.socket.data)) === this.savedData) {
      return
    }
    this.save(now)
  }

  /** The session as it is now, for a client coming back while this connection is still open (see SocketIoRecovery.restore). */
  snapshot (): string | undefined {
    return this.log === undefined ? undefined : this.encodeNow(Date.now())?.value
  }

  /** Its client came back on a new connection: this one ends without saving anything. */
  supersede (): void {
    this.superseded = true
    this.ended = true
    this.recovery.untrack(this)
    // Its transport is dead: a WebSocket close would wait up to 30 s for a close frame that never comes.
    terminateWebSocket(this.socket.conn)
    terminateSession(this.socket)
  }

  private markChanged (): void {
    this.changed = true
    this.changedThisRound = true
  }

  private save (now: number): void {
    const encoded = this.encodeNow(now)
    if (encoded === undefined) return
    this.changed = false
    this.changedThisRound = false
    this.savedAt = now
    this.savedData = encoded.dataHash
    this.recovery.save(encoded.pid, encoded.value)
  }

  private encodeNow (now: number): { pid: string, value: string, dataHash: number } | undefined {
    const pid = socketPid(this.socket)
    const log = this.log
    if (pid === undefined || log === undefined) return undefined
    const data = jsonOf(this.socket.data)
    const value = data === undefined
      ? undefined
      : encodeSession({
        sid: this.id,
        pid,
        userId: this.userId,
        rooms: [...this.rooms],
        log: log.record(this.recovery.issuer.current, (room) => this.recovery.positionNow(room)),
        expiresAt: now + this.recovery.options.maxDisconnectionDuration
      }, data)
    if (value === undefined) {
      this.recovery.unsaveable(this.id)
      return undefined
    }
    return { pid, value, dataHash: hashOf(data) }
  }

  private dropCheckpoint (): void {
    const pid = socketPid(this.socket)
    if (this.savedAt > 0 && !this.superseded && pid !== undefined) this.recovery.drop(pid)
  }
}

/** The rooms of a recovering connection: each change the hub makes is also logged. */
class RecordedRooms extends MirroredRooms {
  private readonly owner: RecoveringConnection

  constructor (socket: Socket, owner: RecoveringConnection) {
    super(socket)
    this.owner = owner
  }

  override add (room: Room): this {
    if (this.has(room)) return this
    super.add(room)
    this.owner.roomJoined(room)
    return this
  }

  override delete (room: Room): boolean {
    if (!super.delete(room)) return false
    this.owner.roomLeft(room)
    return true
  }
}

/** `socket.data` as JSON; undefined when it is not serialisable (a cycle, a BigInt). */
function jsonOf (data: unknown): string | undefined {
  try {
    return JSON.stringify(data) ?? 'null'
  } catch {
    return undefined
  }
}

/** FNV-1a over a string's UTF-16 code units: enough to tell a changed `socket.data` from the last saved. */
function hashOf (text: string | undefined): number {
  if (text === undefined) return 0
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}
