import type { Server as EngineServer, Socket as EngineSocket } from 'engine.io'
import { webSocketBufferedBytes } from '../../internals/engine-io'
import type { RateLimit } from '../../options'
import { WindowCounter } from '../../throttle/window-counter'

/**
 * What a session's ledger tells the realtime connection it carries (SocketIoConnection), when there
 * is one: that connection counts its own events, and closes in its own way.
 */
interface LedgerOwner {
  readonly isOpen: boolean
  /** The session's queue passed maxBufferedBytes: count it, leave the hub, drop the transport. */
  dropSlowConsumer: (backlog: number) => void
  /** The session sent more packets than its budget: close as a flooding client (4429). */
  closeForFlooding: () => void
}

export interface SessionLimits {
  /** The outbound cap: bytes the server queued for the session and the client has not taken yet. */
  readonly maxBufferedBytes: number
  /** Packets a session may send before it has connected to a namespace. */
  readonly packetsBeforeConnect: number
  /** Packets per window once connected, events of the realtime connection aside; undefined: no limit. */
  readonly packetRate: RateLimit | undefined
  /** Socket.IO's connectTimeout, enforced here to the end of the session (see onConnectTimeout). */
  readonly connectTimeout: number
  /** The realtime namespace, whose events its connection counts itself (admitRequest). */
  readonly realtimeNamespace: string
}

/** A packet as engine.io creates it for the write buffer: Socket.IO's encoded string, or binary data. */
interface EnginePacket {
  data?: string | Buffer | ArrayBuffer
  /** The hub's events carry their WebSocket frame, made once for every recipient. */
  options?: { wsPreEncodedFrame?: Buffer[] }
}

/**
 * The per-session accounting, one small object per engine.io session (Socket.IO's client), fed by
 * listener functions shared by every session (engine.io calls them with the session as `this`):
 * inbound, every packet the client sends (any type, any namespace, binary attachments) is counted
 * before Socket.IO decodes it; outbound, every packet engine.io creates for the session
 * ('packetCreate') adds its bytes until engine.io hands its write buffer to the transport ('flush',
 * which engine.io also emits on the server).
 */
class SessionLedger {
  readonly limits: SessionLimits
  /** Bytes in engine.io's write buffer, whoever queued them (the hub, Socket.IO's answers, app code). */
  queuedBytes = 0
  /** Packets received before the session connected to a namespace. */
  packetsBeforeConnect = 0
  connected = false
  /** Made on the first counted packet after connecting: most sessions only listen. */
  packets: WindowCounter | undefined
  owner: LedgerOwner | undefined
  connectTimer: NodeJS.Timeout | undefined
  /** An over-cap drop is due once the code writing now is done (a microtask). */
  dropDue = false

  constructor (limits: SessionLimits) {
    this.limits = limits
  }
}

// Kept on the session itself: a WeakMap entry per session would cost more memory than the property.
const LEDGER = Symbol('fastify-realtime.sessionLedger')

interface TrackedSession {
  [LEDGER]?: SessionLedger
}

function ledgerOf (conn: EngineSocket): SessionLedger | undefined {
  return (conn as unknown as TrackedSession)[LEDGER]
}

/**
 * Keeps a ledger for every session of `engine`. Must run before `io.bind(engine)`: the inbound
 * count then runs before Socket.IO's own 'data' listener, which is added when Socket.IO sees the
 * session.
 */
export function trackSessions (engine: EngineServer, limits: SessionLimits): void {
  // engine.io announces every session's flush on the server too: one listener instead of one per session.
  engine.on('flush', onFlush)
  engine.on('connection', (conn: EngineSocket) => {
    const ledger = new SessionLedger(limits)
    ;(conn as unknown as TrackedSession)[LEDGER] = ledger
    conn.on('data', onInboundPacket)
    conn.on('packetCreate', onPacketCreate)
    ledger.connectTimer = setTimeout(onConnectTimeout, limits.connectTimeout, conn)
  })
}

/**
 * The session connected to a namespace (past the plugin's authentication): from now on its
 * packets count against the rate budget instead of the fixed one, and connectTimeout is over.
 */
export function markConnected (conn: EngineSocket): void {
  const ledger = ledgerOf(conn)
  if (ledger === undefined || ledger.connected) return
  ledger.connected = true
  clearTimeout(ledger.connectTimer)
  ledger.connectTimer = undefined
}

/** The realtime connection this session carries: it counts its own events and closes itself. */
export function setLedgerOwner (conn: EngineSocket, owner: LedgerOwner): void {
  const ledger = ledgerOf(conn)
  if (ledger !== undefined) ledger.owner = owner
}

/** What waits for the session's client now, in bytes (what was queued plus, over WebSocket, ws's own backlog). */
function backlogOf (conn: EngineSocket): number {
  const queued = ledgerOf(conn)?.queuedBytes ?? 0
  return queued + webSocketBufferedBytes(conn)
}

function onInboundPacket (this: EngineSocket, data: unknown): void {
  const ledger = ledgerOf(this)
  if (ledger === undefined) return
  const { owner, limits } = ledger
  // The realtime connection counts its events itself (RATE_LIMITED answers, then 4429); counting
  // them here too would close a client the connection has only asked to slow down.
  if (owner !== undefined && isEventTo(data, limits.realtimeNamespace)) return
  if (withinBudget(ledger)) return
  if (owner?.isOpen === true) owner.closeForFlooding()
  // Closing discards what is queued and ends the session now; engine.io then ignores the rest of
  // the payload this packet came in (Socket.IO, which has just closed too, drops this one).
  else this.close(true)
}

function withinBudget (ledger: SessionLedger): boolean {
  if (!ledger.connected) return ++ledger.packetsBeforeConnect <= ledger.limits.packetsBeforeConnect
  const rate = ledger.limits.packetRate
  if (rate === undefined) return true
  ledger.packets ??= new WindowCounter(rate)
  return ledger.packets.hit(Date.now()) === 0
}

function onPacketCreate (this: EngineSocket, packet: EnginePacket): void {
  const ledger = ledgerOf(this)
  if (ledger === undefined) return
  ledger.queuedBytes += packetBytes(packet)
  if (ledger.dropDue || backlogOf(this) <= ledger.limits.maxBufferedBytes) return
  // Dropped once the code writing is done (a hub delivery loop, app code emitting in a loop): the
  // session is not closed under its feet, and what it queues meanwhile goes with the session. A
  // microtask, not nextTick: code awaiting in a loop runs on microtasks, and must see the drop.
  ledger.dropDue = true
  const conn = this
  queueMicrotask(() => { dropOverCap(conn, ledger) })
}

function dropOverCap (conn: EngineSocket, ledger: SessionLedger): void {
  ledger.dropDue = false
  const backlog = backlogOf(conn)
  // Flushed meanwhile (a poll came): nothing to drop.
  if (backlog <= ledger.limits.maxBufferedBytes) return
  if (ledger.owner?.isOpen === true) ledger.owner.dropSlowConsumer(backlog)
  else conn.close(true)
}

function onFlush (conn: EngineSocket): void {
  const ledger = ledgerOf(conn)
  if (ledger !== undefined) ledger.queuedBytes = 0
}

/**
 * Socket.IO's own connectTimeout only starts engine.io's orderly close, which waits for the queue
 * to drain: a client that never polls would keep its session (and all it provoked) until the ping
 * timeout. Past connectTimeout a session that has connected nowhere is ended at once. (A session
 * that closed earlier is left to this timer rather than given a 'close' listener: closing a closed
 * session does nothing, and a listener would cost every session memory for its whole life.)
 */
function onConnectTimeout (conn: EngineSocket): void {
  const ledger = ledgerOf(conn)
  if (ledger === undefined || ledger.connected) return
  ledger.connectTimer = undefined
  conn.close(true)
}

// Socket.IO packet types whose packets are events (socket.io-parser's EVENT and BINARY_EVENT).
const EVENT = '2'
const BINARY_EVENT = '5'

/**
 * Whether an inbound engine.io message is a Socket.IO event to `namespace`, read as socket.io-parser
 * reads the head of a packet: its type, for binary packets the attachment count and `-`, then the
 * namespace (`/name,`, or none for `/`). Binary attachments (Buffers) are not events.
 */
function isEventTo (data: unknown, namespace: string): boolean {
  if (typeof data !== 'string') return false
  const type = data.charAt(0)
  if (type !== EVENT && type !== BINARY_EVENT) return false
  let i = 1
  if (type === BINARY_EVENT) {
    while (i < data.length && data.charCodeAt(i) >= 48 && data.charCodeAt(i) <= 57) i++
    if (data.charAt(i) !== '-') return false
    i++
  }
  if (data.charAt(i) !== '/') return namespace === '/'
  const comma = data.indexOf(',', i)
  return data.slice(i, comma === -1 ? data.length : comma) === namespace
}

/**
 * A packet's size in bytes, its type byte included (so packets without data count too): its
 * pre-made frame's when it has one (the hub's events carry it whole; socket.io-adapter's
 * broadcasts as header and payload), else its data's.
 */
function packetBytes (packet: EnginePacket): number {
  const frame = packet.options?.wsPreEncodedFrame
  if (frame !== undefined) return frame.reduce((bytes, part) => bytes + part.length, 0)
  const { data } = packet
  if (data === undefined) return 1
  return 1 + (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength)
}
