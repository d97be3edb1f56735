import type { Socket } from 'socket.io'
import { CLOSE_CODES, RealtimeError } from '../../errors'
import type { Gateway } from '../../gateway'
import { admit } from '../../hub/admission'
import { BaseConnection } from '../../hub/base-connection'
import type { OutboundEvent } from '../../hub/outbound-event'
import { reportSlowConsumer } from '../../hub/slow-consumer'
import { isJoinableRoom } from '../../protocol/names'
import type { Identity } from '../../types'
import { endSessionWhenWritten } from './end-session'
import type { EventPacketEncoder } from './event-packet'
import { MirroredRooms } from './mirrored-rooms'
import { setLedgerOwner } from './session-ledger'

/** The callback socket.io-client passes as an event's last argument when it asks for an ack. */
export type Ack = (...args: unknown[]) => void

/** What a refused request answers with, in the ack or as an `error` event when there is no ack. */
interface Refusal {
  ok: false
  error: { code: RealtimeError['code'], message: string }
}

/** Over WebSocket, the ws socket engine.io's transport writes to (private in engine.io's types; pinned 6.6.x). */
interface EngineTransport {
  transport: { name: string, socket?: { terminate: () => void } }
}

/**
 * Requests of one connection that may wait or run at once. Well above what a client has in flight
 * in normal use (requests after a `join` wait for it), small enough that a connection holds at most
 * this many payloads.
 */
const MAX_PENDING_REQUESTS = 32

const connections = new WeakMap<Socket, SocketIoConnection>()

/** The connection behind a Socket.IO socket of the realtime namespace, once it authenticated. */
export function connectionOf (socket: Socket): SocketIoConnection | undefined {
  return connections.get(socket)
}

/**
 * One Socket.IO client. Its id is the socket id, so `welcome.connectionId` matches `socket.id` on
 * the client. Server events are encoded once per message for every Socket.IO recipient and written
 * through the socket's engine.io connection, in order with everything else Socket.IO sends it.
 * Inbound requests run in arrival order: nothing runs before the client is admitted, and a `join`
 * holds back the requests behind it until it is decided (as on the ws endpoint).
 */
export class SocketIoConnection extends BaseConnection {
  // A getter, so the name lives on the prototype and not in every connection.
  get transport (): 'socketio' {
    return 'socketio'
  }

  declare readonly rooms: MirroredRooms
  readonly gateway: Gateway
  private readonly socket: Socket
  private readonly encodePacket: EventPacketEncoder
  private admitted = false
  /**
   * Settles when the requests received so far that hold the queue (admission, joins) are done;
   * undefined once they are, so an idle connection keeps no settled promise.
   */
  private queue: Promise<void> | undefined
  /** Requests accepted by `enqueue` and not yet done. */
  private pending = 0

  constructor (socket: Socket, identity: Identity, gateway: Gateway, encodePacket: EventPacketEncoder) {
    super(socket.id, identity, gateway.hub)
    this.rooms = new MirroredRooms(socket)
    this.socket = socket
    this.gateway = gateway
    this.encodePacket = encodePacket
    connections.set(socket, this)
    // The session's ledger counts what is queued for it (the hub's events, Socket.IO's answers, app
    // code through `app.realtime.io`) and what the client sends, and calls back here when over.
    setLedgerOwner(socket.conn, this)
  }

  get isOpen (): boolean {
    return this.socket.connected
  }

  /**
   * Joins the hub (autoJoin, `user:` room), then greets the client with `welcome`. Called once, on
   * connect; `disconnectsSeen` is the hub's disconnect mark when the client's token check began.
   */
  start (disconnectsSeen: number): void {
    this.holdQueue(this.admitAndWelcome(disconnectsSeen).catch((err: unknown) => {
      this.gateway.log.error({ err, connectionId: this.id }, 'fastify-realtime: connection setup (autoJoin) failed')
      this.close(CLOSE_CODES.INTERNAL, 'setup failed')
    }))
  }

  private async admitAndWelcome (disconnectsSeen: number): Promise<void> {
    const welcome = await admit(this, this.gateway, () => this.isOpen, disconnectsSeen)
    if (welcome === undefined) return
    this.admitted = true
    // Rooms app code joined through `app.realtime.io` while the client was being admitted.
    for (const room of this.socket.rooms) if (room !== this.id && isJoinableRoom(room)) this.join(room)
    this.socket.emit('welcome', { ...welcome, rooms: [...this.rooms] })
    this.armExpiry()
  }

  /**
   * Counts one inbound request against the message rate limit. False when it must be dropped:
   * the client has been told (RATE_LIMITED), or closed with 4429 for sustained flooding.
   */
  admitRequest (ack: Ack | undefined): boolean {
    const rate = this.countMessage(this.gateway.options.messageRateLimit)
    if (rate === 'over') this.refuse(ack, new RealtimeError('RATE_LIMITED', 'Message rate limit exceeded; message dropped'))
    return rate === 'within'
  }

  /**
   * Runs `task` after the requests before it; with `holdsQueue`, the requests after it wait for it
   * too. At most MAX_PENDING_REQUESTS wait or run at once: behind a `canJoin` or handler that
   * hangs, the rest are refused RATE_LIMITED instead of piling up (each may carry a payload of up
   * to maxHttpBufferSize).
   */
  enqueue (task: () => Promise<void>, holdsQueue: boolean, ack: Ack | undefined): void {
    if (this.pending >= MAX_PENDING_REQUESTS) {
      this.refuse(ack, new RealtimeError('RATE_LIMITED', 'Too many requests waiting; request dropped'))
      return
    }
    this.pending++
    const run = (this.queue ?? Promise.resolve()).then(async () => {
      if (this.admitted && this.isOpen) await task()
    }).catch((err: unknown) => {
      // Tasks answer their own errors; reaching here is a bug of ours, and it must cost one request only.
      this.gateway.log.error({ err, connectionId: this.id }, 'fastify-realtime: failed to handle a Socket.IO event')
    }).finally(() => { this.pending-- })
    if (holdsQueue) this.holdQueue(run)
  }

  /** Makes the requests received from now on wait for `run` (which never rejects). */
  private holdQueue (run: Promise<void>): void {
    this.queue = run
    void run.then(() => {
      if (this.queue === run) this.queue = undefined
    })
  }

  /** Answers a refused request: through its ack, or with an `error` event when it asked for none. */
  refuse (ack: Ack | undefined, error: RealtimeError): void {
    const refusal: Refusal = { ok: false, error: { code: error.code, message: error.message } }
    if (ack === undefined) this.socket.emit('error', refusal.error)
    else ack(refusal)
  }

  /** Refuses a malformed request; too many in a minute close the connection with 4400. */
  rejectBadRequest (ack: Ack | undefined, message: string): void {
    if (this.closedForBadRequests(this.gateway.options.maxBadFrames, 'too many malformed requests')) return
    this.refuse(ack, new RealtimeError('BAD_REQUEST', message))
  }

  deliver (message: OutboundEvent): void {
    if (!this.isOpen) return
    const { packet, options } = message.encodeOnce(this.encodePacket)
    // The session's ledger counts the packet; over maxBufferedBytes it calls dropSlowConsumer once
    // the code writing is done (see session-ledger.ts).
    this.socket.conn.write(packet, options)
  }

  /**
   * A client that does not read would not read a `disconnect_reason` either: its transport is
   * dropped at once, with what waits for it, and socket.io-client reconnects (as after 4408 on /ws).
   * The session's ledger calls it once more than maxBufferedBytes wait for the client.
   */
  dropSlowConsumer (backlog: number): void {
    reportSlowConsumer(this.gateway, this.id, backlog)
    const { transport } = this.socket.conn as unknown as EngineTransport
    // Closing the WebSocket would keep the socket and its buffer for up to 30 s, waiting for a close
    // frame the client is not reading; destroying it lets both go now.
    if (transport.name === 'websocket') transport.socket?.terminate()
    // Discards what waits in engine.io's buffer; Socket.IO then reports the disconnect at once, so
    // nothing more is delivered to the client (nor counted again).
    this.terminate()
    this.gateway.hub.unregister(this)
  }

  /** The session's ledger calls it once the client sent more packets than its budget allows. */
  closeForFlooding (): void {
    this.close(CLOSE_CODES.FLOODING, 'packet budget exceeded')
  }

  /**
   * Ends the connection. A server shutdown drops the transport at once: socket.io-client sees
   * "transport close" and reconnects, as after any restart (a polling client could not be told
   * more: the server answers no further polls while it closes). Any other reason is first told to
   * the client (`disconnect_reason` with the close code the ws endpoint would use), then ends in a
   * server-side disconnect, which socket.io-client does not retry on its own: a client whose token
   * expired needs a new one first.
   */
  close (code: number, reason: string): void {
    if (!this.isOpen) return
    if (code === CLOSE_CODES.SERVER_SHUTDOWN) {
      this.terminate()
      return
    }
    this.socket.emit('disconnect_reason', { code, reason })
    this.socket.disconnect()
    endSessionWhenWritten(this.socket.conn)
  }

  terminate (): void {
    // Discards what is still queued for the client and closes the transport now (a polling
    // transport sends its close packet if a poll is waiting, and never waits for the next one).
    this.socket.conn.close(true)
  }

  disconnect (): void {
    this.close(1000, 'disconnected by server')
  }

  onHeartbeat (): void {
    // engine.io pings Socket.IO clients itself (pingInterval defaults to heartbeatInterval).
  }

  /** Called once Socket.IO reports the socket disconnected, whatever the reason. */
  onDisconnected (): void {
    this.disarmExpiry()
    this.gateway.hub.unregister(this)
  }
}
