import type { ClientFrame, FrameId } from '../protocol/frames'
import type { PresenceSnapshot } from '../protocol/presence'
import type { Room } from '../types'
import { encodeClientFrame } from './client-codec'
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from './client-options'
import { ABNORMAL_CLOSE_CODE, NORMAL_CLOSE_CODE, UNAUTHORIZED_CLOSE_CODE } from './close-codes'
import { RealtimeClientError, type CloseDetails } from './errors'
import {
  type DataArgs, type DefaultEventsMap, type EventAck, type EventNames, type EventsMap,
  type LifecycleEvents, type LifecycleListener, type RecoveredEvent, type ServerEventListener, type WelcomePayload
} from './events'
import { handleInbound, type InboundHandlers } from './inbound'
import { ListenerRegistry, type AnyListener } from './listener-registry'
import { PendingRequests } from './pending-requests'
import { Reconnector } from './reconnector'
import { Recovery } from './recovery'
import { RoomMemory } from './room-memory'
import { SocketSession } from './socket-session'
import { readToken, subprotocolsFor, type TokenRead } from './token'

type ClientFrameWithoutId = ClientFrame extends infer F ? F extends ClientFrame ? Omit<F, 'id'> : never : never

/** Server event names a listener can take: lifecycle names are the client's own. */
type ServerEventName<Events extends EventsMap> = Exclude<EventNames<Events>, keyof LifecycleEvents>

interface Waiter {
  resolve: (welcome: WelcomePayload) => void
  reject: (error: Error) => void
}

/**
 * A client of the plugin's raw WebSocket JSON protocol (v1). It connects, reconnects with backoff
 * after recoverable closes, re-joins the rooms it joined (resuming the history rooms of a server
 * with `recovery` on), and turns requests into promises.
 * Requests made while not connected reject at once with `DISCONNECTED`; they are not queued.
 */
export class Client<ServerEvents extends EventsMap = DefaultEventsMap, ClientEvents extends EventsMap = DefaultEventsMap> {
  private readonly options: ResolvedClientOptions
  private readonly listeners = new ListenerRegistry()
  private readonly pending: PendingRequests
  private readonly roomMemory = new RoomMemory()
  private readonly recovery = new Recovery()
  private readonly reconnector: Reconnector
  private session: SocketSession | undefined
  /** The current connection's welcome; undefined while not connected. */
  private welcome: WelcomePayload | undefined
  /** Between `connect()` and `close()` or giving up: the client keeps (re)connecting. */
  private running = false
  /** Bumped by every attempt and by `close()`, so an attempt still waiting for its token can tell it is stale. */
  private attemptGeneration = 0
  private hasBeenWelcomed = false
  private waiters: Waiter[] = []
  private usedToken: string | undefined
  /** The token being read for the current attempt, if any. */
  private tokenRead: TokenRead | undefined
  private readonly inbound: InboundHandlers = {
    welcome: (welcome) => { this.onWelcome(welcome) },
    event: (event, data, room, position) => {
      // An event the client already delivered: a replay overlapping what arrived live.
      if (position === undefined || this.recovery.accept(position)) this.listeners.emit(event, data, room, position)
    },
    reset: (room, position) => { this.emitRecovered(this.recovery.reset(room, position)) },
    answer: (id, outcome) => outcome.ok ? this.pending.resolve(id, outcome.value) : this.pending.reject(id, outcome.error),
    report: (error) => { this.listeners.emit('error', error) }
  }

  constructor (options: ClientOptions) {
    this.options = resolveClientOptions(options)
    this.pending = new PendingRequests(this.options.timers, this.options.ackTimeout)
    this.reconnector = new Reconnector(this.options.reconnect, typeof this.options.token === 'function', this.options.random, this.options.timers)
  }

  /** Welcomed by the server and not disconnected since. */
  get connected (): boolean {
    return this.welcome !== undefined
  }

  /** The server's id for the current connection. */
  get connectionId (): string | undefined {
    return this.welcome?.connectionId
  }

  /** Rooms joined with `join()` and not left; they are re-joined after a reconnect. */
  get rooms (): Room[] {
    return this.roomMemory.rooms
  }

  /**
   * Connects (retrying failed attempts as the `reconnect` policy allows) and resolves with the
   * welcome payload. Rejects with `DISCONNECTED` when the client gives up or is closed.
   */
  connect (): Promise<WelcomePayload> {
    if (this.welcome !== undefined) return Promise.resolve(this.welcome)
    const welcomed = new Promise<WelcomePayload>((resolve, reject) => { this.waiters.push({ resolve, reject }) })
    if (!this.running) {
      this.running = true
      void this.attempt()
    }
    return welcomed
  }

  /** Disconnects for good (close code 1000), forgets joined rooms and rejects whatever is pending. */
  close (): void {
    const wasConnected = this.welcome !== undefined
    this.running = false
    this.hasBeenWelcomed = false
    this.attemptGeneration++
    this.tokenRead?.cancel()
    this.reconnector.reset()
    this.releaseSession()
    this.roomMemory.forgetAll()
    this.recovery.forgetAll()
    const error = new RealtimeClientError('DISCONNECTED', 'The client was closed')
    this.pending.rejectAll(error)
    this.rejectWaiters(error)
    if (wasConnected) this.listeners.emit('disconnect', { code: NORMAL_CLOSE_CODE, reason: 'client closed', willReconnect: false })
  }

  /** Joins a room; rejects with the server's code (`FORBIDDEN`, `TOO_MANY_ROOMS`, `BAD_REQUEST`, …), `TIMEOUT` or `DISCONNECTED`. */
  async join (room: Room): Promise<void> {
    const { id, answer } = this.request({ type: 'join', room }, `join "${room}"`)
    this.roomMemory.joinRequested(room, id)
    let joined = false
    try {
      const ack = await answer
      joined = true
      this.emitRecovered(this.recovery.joined(room, ack))
    } finally {
      this.roomMemory.settled(room, id, joined)
    }
  }

  /** Leaves a room. While disconnected it resolves at once: the room is simply not re-joined. */
  async leave (room: Room): Promise<void> {
    if (this.welcome === undefined) {
      this.roomMemory.forget(room)
      this.recovery.forget(room)
      return
    }
    const { id, answer } = this.request({ type: 'leave', room }, `leave "${room}"`)
    this.roomMemory.leaveRequested(room, id)
    try {
      await answer
    } finally {
      this.roomMemory.settled(room, id, false)
      this.recovery.forget(room)
    }
  }

  /**
   * Who is in a room the client is in, for the whole cluster (a server with the `presence` option):
   * the counts, and one entry per user with their connections. Rejects with `FORBIDDEN` for a room
   * the client is not in, `BAD_REQUEST` for one that does not track presence, `NOT_FOUND` when the
   * server has presence off, `TIMEOUT` or `DISCONNECTED`.
   */
  async presence (room: Room): Promise<PresenceSnapshot> {
    return await this.request({ type: 'presence', room }, `presence of "${room}"`).answer as PresenceSnapshot
  }

  /**
   * Sends a client event without asking for an ack. Returns false when not connected (nothing is
   * sent). A refusal (`NOT_FOUND`, `RATE_LIMITED`, …) arrives as an `error` event.
   * Throws a TypeError when `data` cannot be serialised.
   */
  emit<E extends EventNames<ClientEvents>> (event: E, ...[data]: DataArgs<ClientEvents, E>): boolean {
    if (this.welcome === undefined || this.session === undefined) return false
    this.session.send(encodeClientFrame({ type: 'emit', event, data }))
    return true
  }

  /** Sends a client event and resolves with what the server's `realtime.on` handler returned. */
  async emitWithAck<E extends EventNames<ClientEvents>> (event: E, ...[data]: DataArgs<ClientEvents, E>): Promise<EventAck<ClientEvents, E>> {
    return await this.request({ type: 'emit', event, data }, `"${event}"`).answer as EventAck<ClientEvents, E>
  }

  /** An application-level ping; resolves with the round trip in milliseconds. */
  async ping (): Promise<number> {
    const started = Date.now()
    await this.request({ type: 'ping' }, 'ping').answer
    return Date.now() - started
  }

  on<E extends keyof LifecycleEvents> (event: E, listener: LifecycleListener<E>): this
  on<E extends ServerEventName<ServerEvents>> (event: E, listener: ServerEventListener<ServerEvents, E>): this
  on (event: string, listener: AnyListener): this {
    this.listeners.add(event, listener)
    return this
  }

  off<E extends keyof LifecycleEvents> (event: E, listener: LifecycleListener<E>): this
  off<E extends ServerEventName<ServerEvents>> (event: E, listener: ServerEventListener<ServerEvents, E>): this
  off (event: string, listener: AnyListener): this {
    this.listeners.remove(event, listener)
    return this
  }

  /** Sends a frame with a fresh id and returns the promise of its answer; throws `DISCONNECTED` when not connected. */
  private request (frame: ClientFrameWithoutId, what: string): { id: FrameId, answer: Promise<unknown> } {
    const session = this.session
    if (this.welcome === undefined || session === undefined) {
      throw new RealtimeClientError('DISCONNECTED', `Cannot send ${what}: not connected`)
    }
    const id = this.pending.nextId()
    const text = encodeClientFrame({ ...frame, id } as ClientFrame)
    const answer = this.pending.track(id, what)
    session.send(text)
    return { id, answer }
  }

  private async attempt (): Promise<void> {
    const generation = ++this.attemptGeneration
    const read = this.tokenRead = readToken(this.options.token, this.options.connectTimeout, this.options.timers)
    let token: string | undefined
    try {
      token = await read.token
    } catch (err) {
      if (generation !== this.attemptGeneration) return
      // Failed like an attempt that never reached the server, and retried the same way.
      this.listeners.emit('error', err as RealtimeClientError)
      this.onClosed({ code: ABNORMAL_CLOSE_CODE, reason: 'the token provider failed' })
      return
    } finally {
      if (this.tokenRead === read) this.tokenRead = undefined
    }
    if (generation !== this.attemptGeneration) return
    if (!this.reconnector.accepts(token)) {
      this.giveUp({ code: UNAUTHORIZED_CLOSE_CODE, reason: 'the token provider gave the token the server refused' })
      return
    }
    try {
      const url = this.recovery.urlFor(this.options.url, this.roomMemory.rooms)
      const socket = new this.options.WebSocket(url, subprotocolsFor(token))
      this.usedToken = token
      this.session = new SocketSession(socket, {
        message: (data) => { handleInbound(data, this.inbound) },
        closed: (close) => { this.onClosed(close) }
      }, this.options.timers, this.options.connectTimeout)
    } catch (err) {
      // A malformed URL or token (the constructor throws a SyntaxError): trying again cannot help.
      const message = `The WebSocket constructor refused the URL or the token: ${err instanceof Error ? err.message : String(err)}`
      const error = new RealtimeClientError('INVALID_OPTION', message, undefined, err)
      this.listeners.emit('error', error)
      this.giveUp({ code: ABNORMAL_CLOSE_CODE, reason: 'the WebSocket constructor refused the URL or the token' }, error)
    }
  }

  private onWelcome (welcome: WelcomePayload): void {
    const session = this.session
    if (session === undefined || this.welcome !== undefined) {
      this.listeners.emit('error', new RealtimeClientError('PROTOCOL_ERROR', 'The server sent a second welcome'))
      return
    }
    session.welcomed()
    this.welcome = welcome
    const attempts = this.reconnector.welcomed()
    const isReconnect = this.hasBeenWelcomed
    this.hasBeenWelcomed = true
    const { recovered, leave } = this.recovery.welcomed(welcome)
    // Join frames go out before any listener can send, and the server applies them in order.
    // Rooms the server resumed are in `welcome.rooms` already, so only the others are joined.
    const rejoined = isReconnect
      ? this.roomMemory.rejoin(welcome.rooms, async (room) => { await this.rejoin(room) }, () => session.isReleased)
      : undefined
    for (const room of leave) this.request({ type: 'leave', room }, `leave "${room}"`).answer.catch(() => {})
    for (const waiter of this.waiters.splice(0)) waiter.resolve(welcome)
    this.listeners.emit('welcome', welcome)
    // Before the next frame is read: the app hears "reload" before any event of the room that follows.
    for (const event of recovered) this.emitRecovered(event)
    void rejoined?.then((outcome) => {
      if (this.session === session) this.listeners.emit('reconnect', { attempts, ...outcome, recovered: this.recovery.reconnectOutcome })
    })
  }

  private async rejoin (room: Room): Promise<void> {
    const ack = await this.request({ type: 'join', room }, `re-join "${room}"`).answer
    this.emitRecovered(this.recovery.joined(room, ack))
  }

  private emitRecovered (event: RecoveredEvent | undefined): void {
    if (event !== undefined) this.listeners.emit('recovered', event)
  }

  /** The current socket closed, or its attempt failed: tell the listeners, then retry or stop. */
  private onClosed (close: CloseDetails): void {
    const wasConnected = this.welcome !== undefined
    this.releaseSession()
    this.pending.rejectAll(new RealtimeClientError('DISCONNECTED', `Disconnected (${close.code}) before the answer`, close))
    if (!this.reconnector.closed(close, this.usedToken) || !this.running) {
      // Stopped before the listeners hear of it, so a disconnect listener may connect() afresh.
      const attempts = this.stop(close)
      if (wasConnected) this.listeners.emit('disconnect', { ...close, willReconnect: false })
      if (attempts > 0) this.listeners.emit('reconnect_failed', { attempts, ...close })
      return
    }
    if (wasConnected) this.listeners.emit('disconnect', { ...close, willReconnect: true })
    // A disconnect listener may have closed the client.
    if (!this.running) return
    const { attempt, delay } = this.reconnector.schedule(() => { void this.attempt() })
    this.listeners.emit('reconnecting', { attempt, delay, ...close })
  }

  /** Stops reconnecting and says so; joined rooms stay remembered for a later `connect()`. */
  private giveUp (close: CloseDetails, error?: RealtimeClientError): void {
    const attempts = this.stop(close, error)
    if (attempts > 0) this.listeners.emit('reconnect_failed', { attempts, ...close })
  }

  /** Stops reconnecting, rejects the pending `connect()` calls, and returns the attempts that failed. */
  private stop (close: CloseDetails, error?: RealtimeClientError): number {
    this.running = false
    const attempts = this.reconnector.reset()
    const reason = close.reason === '' ? '' : ` (${close.reason})`
    this.rejectWaiters(error ?? new RealtimeClientError('DISCONNECTED', `Gave up connecting: closed with ${close.code}${reason}`, close))
    return attempts
  }

  private releaseSession (): void {
    this.welcome = undefined
    this.session?.release()
    this.session = undefined
  }

  private rejectWaiters (error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
  }
}

/** Creates a client; nothing connects until `connect()`. */
export function createClient<ServerEvents extends EventsMap = DefaultEventsMap, ClientEvents extends EventsMap = DefaultEventsMap> (options: ClientOptions): Client<ServerEvents, ClientEvents> {
  return new Client<ServerEvents, ClientEvents>(options)
}
