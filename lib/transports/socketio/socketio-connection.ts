import type { Socket } from 'socket.io'
import { queuedPacketCount, webSocketBufferedBytes } from '../../internals/engine-io'
import { CLOSE_CODES, RealtimeError } from '../../errors'
import { isHandlerEventName } from '../../protocol/names'
import type { Gateway } from '../../gateway'
import { BaseConnection } from '../../hub/base-connection'
import type { Handling, InboundOwner } from '../../hub/inbound-queue'
import type { OutboundEvent } from '../../hub/outbound-event'
import type { Identity } from '../../types'
import type { EventPacketEncoder } from './event-packet'
import { MirroredRooms } from './mirrored-rooms'
import { admitAndWelcome, type RecoveryWelcome } from './socketio-admission'
import { closeSocket, dropSlowConsumer, terminateSession } from './socketio-close'
import { answerRefusal, type Ack } from './socketio-refusal'
import { MAX_PENDING_REQUESTS, REQUESTS, runRequest, tooManyWaiting, type SocketIoRequest } from './socketio-requests'
import { setLedgerOwner } from './session-ledger'

export type { Ack } from './socketio-refusal'

const connections = new WeakMap<Socket, SocketIoConnection>()

/** The connection behind a Socket.IO socket of the realtime namespace, once it authenticated. */
export function connectionOf (socket: Socket): SocketIoConnection | undefined {
  return connections.get(socket)
}

/**
 * One Socket.IO client. Its id is the socket id, so `welcome.connectionId` matches `socket.id` on
 * the client. Server events are encoded once per message for every Socket.IO recipient and written
 * through the socket's engine.io connection, in order with everything else Socket.IO sends it.
 * Inbound requests run in arrival order (an InboundQueue): nothing runs before the client is
 * admitted, and a `join` holds back the requests behind it until it is decided (as on the ws
 * endpoint).
 */
export class SocketIoConnection extends BaseConnection implements InboundOwner<SocketIoRequest> {
  // A getter, so the name lives on the prototype and not in every connection.
  get transport (): 'socketio' {
    return 'socketio'
  }

  declare readonly rooms: MirroredRooms
  readonly gateway: Gateway
  protected readonly socket: Socket
  protected readonly encodePacket: EventPacketEncoder
  private admitted = false
  // The connection's place in REQUESTS (see InboundState).
  inboundHeld = false
  inboundWaiting: SocketIoRequest[] | undefined
  inboundWeight = 0

  constructor (socket: Socket, identity: Identity, gateway: Gateway, encodePacket: EventPacketEncoder) {
    super(socket.id, identity, gateway.hub)
    this.rooms = this.createRooms(socket)
    this.socket = socket
    this.gateway = gateway
    this.encodePacket = encodePacket
    connections.set(socket, this)
    // The session's ledger counts what is queued for it (the hub's events, Socket.IO's answers, app
    // code through `app.realtime.io`) and what the client sends, and calls back here when over.
    setLedgerOwner(socket.conn, this)
  }

  /** The room set the hub writes; called once, from the constructor (before a subclass's fields are set). */
  protected createRooms (socket: Socket): MirroredRooms {
    return new MirroredRooms(socket)
  }

  /** What a connection with `recovery` adds to its admission; none without. */
  protected recoveryWelcome (): RecoveryWelcome | undefined {
    return undefined
  }

  get inboundLimit (): number {
    return MAX_PENDING_REQUESTS
  }

  get isOpen (): boolean {
    return this.socket.connected
  }

  /**
   * Admits the client and greets it (see admitAndWelcome); requests wait until that is done. Called
   * once, on connect; `disconnectsSeen` is the hub's disconnect mark when its token check began.
   */
  start (disconnectsSeen: number): void {
    REQUESTS.hold(this)
    // So that `io.on('connection')` code and `fetchSockets()` see who a socket is.
    const data = (this.socket.data ?? {}) as Record<string, unknown>
    this.socket.data = Object.assign(data, { user: this.user, userId: this.userId })
    admitAndWelcome(this, this.socket, this.gateway, disconnectsSeen, this.recoveryWelcome()).then(async (admitted) => {
      this.admitted = admitted
      if (!admitted) return
      this.armExpiry()
      // The client's requests wait for the app's connection hooks (see ConnectionHooks).
      await this.gateway.hooks.connect(this, () => this.isOpen)
    }, (err: unknown) => {
      this.gateway.log.error({ err, connectionId: this.id }, 'fastify-realtime: connection setup (autoJoin) failed')
      this.close(CLOSE_CODES.INTERNAL, 'setup failed')
    }).finally(() => { REQUESTS.release(this) })
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

  /** Runs `task` after the requests before it; with `holdsQueue`, the requests after it wait for it too. */
  enqueue (task: () => Promise<void>, holdsQueue: boolean, ack: Ack | undefined): void {
    REQUESTS.push(this, { task, holdsQueue, ack })
  }

  /** The queue's turn for a request (see InboundQueue); nothing runs for a client never admitted. */
  handle (request: SocketIoRequest): Handling | undefined {
    return this.admitted ? runRequest(this.gateway, this.id, request) : undefined
  }

  /** The queue refuses a request it has no room for. */
  refuseExcess (request: SocketIoRequest): void {
    this.refuse(request.ack, tooManyWaiting())
  }

  /**
   * Whether app code listens to this event on the socket itself (`socket.on(event)` through
   * `app.realtime.io`). Reserved names (`error`, `disconnect`, …) are Socket.IO's and the plugin's own.
   */
  hasAppListener (event: string): boolean {
    return isHandlerEventName(event) && this.socket.listenerCount(event) > 0
  }

  /** Answers a refused request: through its ack, or with an `error` event when it asked for none. */
  refuse (ack: Ack | undefined, error: RealtimeError): void {
    answerRefusal(this.socket, ack, error)
  }

  /** Refuses a malformed request; too many in a minute close the connection with 4400. */
  rejectBadRequest (ack: Ack | undefined, message: string): void {
    if (this.closedForBadRequests(this.gateway.options.maxBadFrames, 'too many malformed requests')) return
    this.refuse(ack, new RealtimeError('BAD_REQUEST', message))
  }

  deliver (message: OutboundEvent): void {
    if (!this.isOpen || this.dropsVolatile(message)) return
    const { packet, options } = message.encodeOnce(this.encodePacket)
    // The session's ledger counts the packet; over maxBufferedBytes it calls dropSlowConsumer once
    // the code writing is done (see session-ledger.ts).
    this.socket.conn.write(packet, options)
  }

  /**
   * A volatile event is dropped (and counted) while anything waits to be written to the client:
   * packets engine.io holds for it (a poll not yet made, a write in progress) or bytes ws holds.
   */
  protected dropsVolatile (message: OutboundEvent): boolean {
    const conn = this.socket.conn
    if (!message.volatile || (queuedPacketCount(conn) === 0 && webSocketBufferedBytes(conn) === 0)) return false
    this.gateway.stats.volatileDropped++
    return true
  }

  /** The session's ledger calls it once more than maxBufferedBytes wait for the client. */
  dropSlowConsumer (backlog: number): void {
    dropSlowConsumer(this, this.socket, this.gateway, backlog)
  }

  /** The session's ledger calls it once the client sent more packets than its budget allows. */
  closeForFlooding (): void {
    this.close(CLOSE_CODES.FLOODING, 'packet budget exceeded')
  }

  /** Ends the connection (see closeSocket): told to the client first, unless the server shuts down. */
  close (code: number, reason: string): void {
    closeSocket(this.socket, code, reason)
  }

  terminate (): void {
    terminateSession(this.socket)
  }

  disconnect (): void {
    this.close(1000, 'disconnected by server')
  }

  onHeartbeat (): void {
    // engine.io pings Socket.IO clients itself (pingInterval defaults to heartbeatInterval).
  }

  /** Called once Socket.IO reports the socket disconnected, whatever the reason. */
  onDisconnected (reason: string): void {
    this.disarmExpiry()
    REQUESTS.discard(this)
    this.gateway.hub.unregister(this)
    this.gateway.hooks.disconnect(this, { reason, code: undefined })
  }
}
