import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import WebSocket, { type ClientOptions } from 'ws'
import type { ServerFrame } from '../../lib/index'

export interface ConnectOptions extends ClientOptions {
  token?: string
  protocols?: string[]
}

/**
 * A real `ws` client that queues every frame it receives, so a test can await the next frame
 * (or the next frame of a type) without sleeping.
 */
export class TestClient {
  readonly ws: WebSocket
  private readonly frames: ServerFrame[] = []
  private readonly waiters: Array<() => void> = []
  closed: Promise<{ code: number, reason: string }>
  private requests = 0

  constructor (ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()) as ServerFrame)
      this.wake()
    })
    this.closed = once(ws, 'close').then(([code, reason]) => {
      this.wake()
      return { code: code as number, reason: String(reason) }
    })
  }

  private wake (): void {
    for (const waiter of this.waiters.splice(0)) waiter()
  }

  /** Resolves with the next received frame matching `type` (frames before it stay queued). */
  async next<T extends ServerFrame['type']> (type?: T, timeoutMs = 5_000): Promise<Extract<ServerFrame, { type: T }>> {
    return await this.nextWhere((frame) => type === undefined || frame.type === type, timeoutMs) as Extract<ServerFrame, { type: T }>
  }

  /** Resolves with (and removes) the first queued or future frame that satisfies `predicate`. */
  async nextWhere (predicate: (frame: ServerFrame) => boolean, timeoutMs = 5_000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.frames.findIndex(predicate)
      if (index !== -1) return this.frames.splice(index, 1)[0]
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('connection closed while waiting for a frame')
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error('timed out waiting for a frame')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  /** Frames received and not yet taken by `next`. */
  pending (): ServerFrame[] {
    return [...this.frames]
  }

  send (frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Sends a frame with an id and resolves with the server's answer to it (ack, error or pong). */
  async request (frame: Record<string, unknown>): Promise<ServerFrame> {
    const id = frame.id ?? `r${++this.requests}`
    this.send({ ...frame, id })
    return await this.nextWhere((answer) => 'id' in answer && answer.id === id)
  }

  close (): void {
    this.ws.close()
  }
}

/** Connects and waits for the welcome frame. */
export async function connect (url: string, options: ConnectOptions = {}): Promise<{ client: TestClient, welcome: Extract<ServerFrame, { type: 'welcome' }> }> {
  const client = await open(url, options)
  return { client, welcome: await client.next('welcome') }
}

/** Opens a connection (without waiting for the welcome frame). */
export async function open (url: string, options: ConnectOptions = {}): Promise<TestClient> {
  const { token, protocols, headers, ...rest } = options
  const target = token === undefined ? url : url
  const ws = new WebSocket(target, protocols, { ...rest, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } })
  const client = new TestClient(ws)
  await Promise.race([
    once(ws, 'open'),
    once(ws, 'unexpected-response').then(([, response]) => { throw new RejectedHandshake(response as IncomingMessage) })
  ])
  return client
}

export class RejectedHandshake extends Error {
  readonly statusCode: number
  readonly headers: IncomingMessage['headers']
  readonly body: Promise<Record<string, unknown>>

  constructor (response: IncomingMessage) {
    super(`handshake refused with ${response.statusCode ?? 0}`)
    this.statusCode = response.statusCode ?? 0
    this.headers = response.headers
    this.body = readJson(response)
  }
}

async function readJson (response: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>
}

/** Attempts a handshake that must be refused; resolves with the refusal. */
export async function refused (url: string, options: ConnectOptions = {}): Promise<RejectedHandshake> {
  try {
    const client = await open(url, options)
    client.close()
  } catch (err) {
    if (err instanceof RejectedHandshake) return err
    throw err
  }
  throw new Error('handshake was accepted')
}
