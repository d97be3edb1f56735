import type { FastifyInstance } from 'fastify'
import type { Server, Socket as ServerSocket } from 'socket.io'
import type { Test } from 'tap'
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client'
import type { WelcomePayload } from '../../lib/index'

/** The app's Socket.IO server (`app.realtime.io`); throws when the endpoint is disabled. */
export function ioServer (app: FastifyInstance): Server {
  const server = app.realtime.io
  if (server === undefined) throw new Error('the Socket.IO endpoint is disabled')
  return server
}

/** The server side of a client's socket in the default namespace. */
export function serverSocket (app: FastifyInstance, id: string | undefined): ServerSocket {
  const socket = id === undefined ? undefined : ioServer(app).of('/').sockets.get(id)
  if (socket === undefined) throw new Error(`no server socket ${String(id)}`)
  return socket
}

export type IoOptions = Partial<ManagerOptions & SocketOptions> & {
  /** Sent as `auth: { token }`. */
  token?: string
  /** The namespace, appended to the server URL (default `/`). */
  namespace?: string
}

/** A `connect_error` as socket.io-client reports it, with the server's wire code. */
export type ConnectError = Error & { data?: { code?: string } }

/** socket.io-client's emitters are not Node EventEmitters, so `events.once` does not take them. */
interface Emitter {
  once (event: string, listener: (...args: never[]) => void): unknown
}

/** Resolves with the arguments of the next `event` (like `events.once`). */
export async function onceEvent (emitter: Emitter, event: string): Promise<unknown[]> {
  return await new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args)))
}

interface ReceivedEvent {
  event: string
  args: unknown[]
}

/**
 * A real socket.io-client socket that queues every event it receives, so a test can await the
 * next event of a name without sleeping. Reconnection is off unless a test turns it on.
 */
export class IoTestClient {
  readonly socket: Socket
  private readonly events: ReceivedEvent[] = []
  private readonly waiters: Array<() => void> = []
  readonly disconnected: Promise<string>

  constructor (socket: Socket) {
    this.socket = socket
    socket.onAny((event: string, ...args: unknown[]) => {
      this.events.push({ event, args })
      this.wake()
    })
    this.disconnected = onceEvent(socket, 'disconnect').then(([reason]) => {
      this.wake()
      return reason as string
    })
  }

  private wake (): void {
    for (const waiter of this.waiters.splice(0)) waiter()
  }

  /** Resolves with the first argument of the next `event` received (earlier events of other names stay queued). */
  async next (event: string, timeoutMs = 5_000): Promise<unknown> {
    return (await this.nextArgs(event, timeoutMs))[0]
  }

  async nextArgs (event: string, timeoutMs = 5_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.events.findIndex((received) => received.event === event)
      if (index !== -1) return this.events.splice(index, 1)[0].args
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`timed out waiting for "${event}"`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  /** Events received and not yet taken by `next`. */
  pending (): ReceivedEvent[] {
    return [...this.events]
  }

  /** Emits with an ack callback and resolves with what the server acknowledged. */
  async request (event: string, ...args: unknown[]): Promise<unknown> {
    return await this.socket.timeout(5_000).emitWithAck(event, ...args)
  }

  /** The transport engine.io currently uses (`polling` or `websocket`). */
  get transport (): string {
    return this.socket.io.engine.transport.name
  }

  close (): void {
    this.socket.disconnect()
  }
}

function createSocket (t: Test, baseUrl: string, options: IoOptions): Socket {
  const { token, namespace = '/', ...rest } = options
  const socket = io(baseUrl + namespace, {
    forceNew: true,
    reconnection: false,
    ...(token === undefined ? {} : { auth: { token } }),
    ...rest
  })
  t.teardown(() => { socket.disconnect() })
  return socket
}

/** Connects and waits for the `welcome` event. */
export async function ioConnect (t: Test, baseUrl: string, options: IoOptions = {}): Promise<{ client: IoTestClient, welcome: WelcomePayload }> {
  const client = await ioOpen(t, baseUrl, options)
  return { client, welcome: await client.next('welcome') as WelcomePayload }
}

/** Starts connecting to the namespace and returns at once, for tests that hold the connection up. */
export function ioStart (t: Test, baseUrl: string, options: IoOptions = {}): IoTestClient {
  return new IoTestClient(createSocket(t, baseUrl, options))
}

/** Connects to the namespace (without waiting for the welcome, which comes once the client is set up). */
export async function ioOpen (t: Test, baseUrl: string, options: IoOptions = {}): Promise<IoTestClient> {
  const client = ioStart(t, baseUrl, options)
  await Promise.race([
    onceEvent(client.socket, 'connect'),
    onceEvent(client.socket, 'connect_error').then(([err]) => { throw err })
  ])
  return client
}

/** Attempts a connection that must be refused; resolves with the `connect_error`. */
export async function ioRefused (t: Test, baseUrl: string, options: IoOptions = {}): Promise<ConnectError> {
  const socket = createSocket(t, baseUrl, options)
  const outcome = await Promise.race([
    onceEvent(socket, 'connect').then(() => undefined),
    onceEvent(socket, 'connect_error').then(([err]) => err as ConnectError)
  ])
  socket.disconnect()
  if (outcome === undefined) throw new Error('connection was accepted')
  return outcome
}
