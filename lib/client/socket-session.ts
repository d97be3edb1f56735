import { NORMAL_CLOSE_CODE, ABNORMAL_CLOSE_CODE } from './close-codes'
import type { CloseDetails } from './errors'
import type { Timers } from './timers'
import { WEBSOCKET_OPEN, type WebSocketLike } from './websocket-like'

interface SocketSessionHandlers {
  message: (data: unknown) => void
  /** The socket closed, or gave no welcome within the connect timeout. Called at most once. */
  closed: (close: CloseDetails) => void
}

/**
 * One WebSocket, from its opening to the moment the client lets it go. Once released, nothing the
 * socket does reaches the client any more, so a late event of an old socket cannot disturb the
 * next one. An attempt that is not welcomed within `connectTimeout` is given up as a 1006.
 */
export class SocketSession {
  private readonly socket: WebSocketLike
  private readonly timers: Timers
  private connectTimer: unknown
  private released = false

  constructor (socket: WebSocketLike, handlers: SocketSessionHandlers, timers: Timers, connectTimeout: number) {
    this.socket = socket
    this.timers = timers
    socket.addEventListener('message', (event) => { if (!this.released) handlers.message(event.data) })
    socket.addEventListener('close', (event) => { if (this.release()) handlers.closed({ code: event.code, reason: event.reason }) })
    // Required by `ws` (an unheard error event throws); the close event that follows says what happened.
    socket.addEventListener('error', () => {})
    this.connectTimer = timers.setTimeout(() => {
      if (this.release()) handlers.closed({ code: ABNORMAL_CLOSE_CODE, reason: `no welcome within ${connectTimeout} ms` })
    }, connectTimeout)
  }

  get isReleased (): boolean {
    return this.released
  }

  /** The welcome arrived: the connect timeout no longer applies. */
  welcomed (): void {
    this.timers.clearTimeout(this.connectTimer)
  }

  /** Sends a text frame; a socket that is no longer open drops it (its close is on its way). */
  send (text: string): void {
    if (!this.released && this.socket.readyState === WEBSOCKET_OPEN) this.socket.send(text)
  }

  /** Stops listening and closes the socket if it is still open or opening; false if already released. */
  release (reason = 'client closed'): boolean {
    if (this.released) return false
    this.released = true
    this.timers.clearTimeout(this.connectTimer)
    if (this.socket.readyState <= WEBSOCKET_OPEN) this.socket.close(NORMAL_CLOSE_CODE, reason)
    return true
  }
}
