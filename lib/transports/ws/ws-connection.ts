import type { Duplex } from 'node:stream'
import WebSocket from 'ws'
import { CLOSE_CODES, RealtimeError } from '../../errors'
import { BaseConnection } from '../../hub/base-connection'
import { InboundQueue, type Handling, type InboundOwner } from '../../hub/inbound-queue'
import type { OutboundEvent } from '../../hub/outbound-event'
import { reportSlowConsumer } from '../../hub/slow-consumer'
import { encodeEventFrame, encodeServerFrame, peekFrameId } from '../../protocol/codec'
import type { FrameId, ServerFrame } from '../../protocol/frames'
import type { ConnectionId, Identity } from '../../types'
import { frameText, writeCoalesced } from './frame-writer'
import type { Gateway } from '../../gateway'
import { handleFrame, type FrameConnection } from './ws-inbound'

/** Encodes an event as a pre-framed ws message; used as the `encodeOnce` key for every ws recipient. */
function frameEvent (message: OutboundEvent): Buffer {
  return frameText(encodeEventFrame(message.event, message.dataJson, message.room, message.position))
}

interface InboundFrame {
  readonly data: Buffer
  readonly isBinary: boolean
}

/**
 * Bytes of inbound frames a connection may have waiting behind a frame that waits on something
 * asynchronous (a slow `canJoin` or `auth.trusted`, setup), in maxPayloads: beyond it frames are
 * refused with RATE_LIMITED rather than kept, so a hanging callback cannot grow a backlog.
 */
const MAX_BACKLOG_PAYLOADS = 4

/** The inbound queue of every ws connection: frames count in bytes while they wait. */
const FRAMES = new InboundQueue<InboundFrame>({ sizeOf: frameBytes, countsUntil: 'started' })

function frameBytes (frame: InboundFrame): number {
  return frame.data.length
}

/**
 * One raw WebSocket client. Outbound frames are written pre-framed and coalesced straight to the
 * upgraded TCP socket (the same socket ws writes its control frames to, so order is kept).
 * Inbound frames are handled strictly in order: a frame that waits on something asynchronous
 * (an async `canJoin`, async setup) holds back the frames behind it, up to a bound in bytes.
 * From the moment the server decides to close it (`close`, `terminate`), the connection is out of
 * the hub and nothing more is handled or delivered, even while a client that never answers the
 * close frame keeps its socket open.
 */
export class WsConnection extends BaseConnection implements FrameConnection, InboundOwner<InboundFrame> {
  // A getter, so the name lives on the prototype and not in every connection.
  get transport (): 'ws' {
    return 'ws'
  }

  private readonly ws: WebSocket
  private readonly socket: Duplex
  readonly gateway: Gateway
  private alive = true
  private closing = false
  /** Why the server ended the connection, for the disconnect hooks; unset when the client did. */
  private endedBy: 'server close' | 'ping timeout' | undefined
  // The connection's place in FRAMES (see InboundState); held until setup is done (startHandling).
  inboundHeld = true
  inboundWaiting: InboundFrame[] | undefined
  inboundWeight = 0

  constructor (id: ConnectionId, identity: Identity, gateway: Gateway, ws: WebSocket, socket: Duplex) {
    super(id, identity, gateway.hub)
    this.gateway = gateway
    this.ws = ws
    this.socket = socket
  }

  get inboundLimit (): number {
    return MAX_BACKLOG_PAYLOADS * this.gateway.options.maxPayload
  }

  get isOpen (): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN
  }

  deliver (message: OutboundEvent): void {
    if (!this.isOpen) return
    if (message.volatile && this.socket.writableLength > 0) {
      this.gateway.stats.volatileDropped++
      return
    }
    this.write(message.encodeOnce(frameEvent))
  }

  send (frame: ServerFrame): void {
    if (this.isOpen) this.write(frameText(encodeServerFrame(frame)))
  }

  sendError (id: FrameId | undefined, error: RealtimeError): void {
    this.send(id === undefined
      ? { type: 'error', code: error.code, message: error.message }
      : { type: 'error', id, code: error.code, message: error.message })
  }

  private write (frame: Buffer): void {
    writeCoalesced(this.socket, frame)
    if (this.socket.writableLength > this.gateway.options.maxBufferedBytes) {
      reportSlowConsumer(this.gateway, this.id, this.socket.writableLength)
      // The close frame queues behind data the client is not reading; close() leaves the rooms
      // now, so no more traffic is buffered for it meanwhile.
      this.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer')
    }
  }

  close (code: number, reason: string): void {
    this.stop()
    this.ws.close(code, reason)
  }

  terminate (): void {
    this.stop()
    this.ws.terminate()
  }

  /** The server's decision to close: out of every room and query now, nothing more handled. */
  private stop (): void {
    this.endedBy ??= 'server close'
    this.closing = true
    FRAMES.discard(this)
    this.gateway.hub.retire(this)
  }

  disconnect (): void {
    this.close(1000, 'disconnected by server')
  }

  onHeartbeat (): void {
    if (!this.alive) {
      this.endedBy = 'ping timeout'
      this.terminate()
      return
    }
    this.alive = false
    this.ws.ping()
  }

  markAlive (): void {
    this.alive = true
  }

  /** Called once setup (auto-joined rooms, welcome) is done: frames are handled from now on. */
  startHandling (): void {
    // First, so that a token that expired meanwhile closes before any waiting frame is handled.
    this.armExpiry()
    FRAMES.release(this)
  }

  receive (data: Buffer, isBinary: boolean): void {
    if (!this.isOpen) return
    this.alive = true
    if (data.length > this.gateway.options.maxPayload) {
      // Only reachable when the app's own @fastify/websocket allows bigger frames than we do.
      this.close(CLOSE_CODES.TOO_LARGE, 'frame too large')
      return
    }
    const rate = this.countMessage(this.gateway.options.messageRateLimit)
    if (rate !== 'within') {
      if (rate === 'over') this.sendError(isBinary ? undefined : peekFrameId(data.toString()), new RealtimeError('RATE_LIMITED', 'Message rate limit exceeded; frame dropped'))
      return
    }
    FRAMES.push(this, { data, isBinary })
  }

  /** The queue's turn for a frame (see InboundQueue); a join or auth holds the frames behind it. */
  handle (frame: InboundFrame): Handling | undefined {
    return handleFrame(this, frame.data, frame.isBinary)
  }

  /** The queue refuses a frame: too many bytes wait for an earlier request. */
  refuseExcess (frame: InboundFrame): void {
    this.sendError(frame.isBinary ? undefined : peekFrameId(frame.data.toString()), new RealtimeError('RATE_LIMITED', 'Too many frames waiting for an earlier request; frame dropped'))
  }

  /** Counts a malformed frame and closes with 4400 once there were too many in a minute. */
  rejectBadFrame (id: FrameId | undefined, message: string): void {
    if (this.closedForBadRequests(this.gateway.options.maxBadFrames, 'too many malformed frames')) return
    this.sendError(id, new RealtimeError('BAD_REQUEST', message))
  }

  /** Called once ws reports the connection closed, with its close code. */
  onClosed (code: number): void {
    this.disarmExpiry()
    FRAMES.discard(this)
    this.gateway.hub.unregister(this)
    this.gateway.hooks.disconnect(this, { reason: this.endedBy ?? 'client close', code })
  }
}
