/**
 * The servers the protocol suites run against, in a worker thread of their own (started by
 * test/socketio-conformance.test.ts with `workerData: { target }`): the suites' timing checks
 * (a session must be gone `pingInterval + pingTimeout` after its handshake, a ping every
 * `pingInterval`) are then not decided by the event loop the tests run on, as upstream runs its
 * server in a process of its own; and terminating the worker ends whatever the server still had
 * pending (engine.io gives a closed polling transport 30 s to be polled once more).
 *
 * Each target serves both suites, each on its own free port of 127.0.0.1: the Socket.IO suite
 * requests `/socket.io/`, the Engine.IO suite `/engine.io/`. Posts `{ [suite]: url }` once listening.
 *
 * - `plain`: socket.io 4.8, configured as the Socket.IO suite's Readme configures its reference server.
 * - `plugin`: Fastify with fastify-realtime (`ws: false`, no token required), the same app code
 *   through `app.realtime.io`.
 * - `echo`: engine.io's echo server, the Engine.IO suite's own reference (its README): shows the
 *   vendored suite and the harness pass everything against the server they were written for.
 */
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'
import { attach as attachEngine, type Socket as EngineSocket } from 'engine.io'
import Fastify from 'fastify'
import { Server, type Socket } from 'socket.io'

export type ConformanceTarget = 'plain' | 'plugin' | 'echo'

/** Where the suites find a target: the base URL for each suite's engine.io path. */
export interface TargetUrls {
  'socket.io-protocol': string
  'engine.io-protocol': string
}

/** What both suites' reference servers are configured with. */
const PING_INTERVAL = 300
const PING_TIMEOUT = 200
const MAX_PAYLOAD = 1_000_000
/** The Socket.IO suite's reference: a session that sends no CONNECT is closed after a second. */
const CONNECT_TIMEOUT = 1000
const SECRET = 'conformance-secret-that-is-long-enough-for-hs256'

/** The Socket.IO suite's reference server (its Readme) as app code: the same for socket.io and the plugin. */
function referenceApp (io: Server): void {
  io.on('connection', (socket: Socket) => {
    socket.emit('auth', socket.handshake.auth)

    socket.on('message', (...args: unknown[]) => {
      socket.emit('message-back', ...args)
    })

    socket.on('message-with-ack', (...args: unknown[]) => {
      const ack = args.pop() as (...answer: unknown[]) => void
      ack(...args)
    })
  })

  io.of('/custom').on('connection', (socket: Socket) => {
    socket.emit('auth', socket.handshake.auth)
  })
}

async function startPlain (path: string): Promise<string> {
  const httpServer = createServer()
  const io = new Server(httpServer, {
    path,
    pingInterval: PING_INTERVAL,
    pingTimeout: PING_TIMEOUT,
    // The Readme's `maxPayload: 1000000` is engine.io's maxHttpBufferSize (whose default it is).
    maxHttpBufferSize: MAX_PAYLOAD,
    connectTimeout: CONNECT_TIMEOUT,
    cors: { origin: '*' }
  })
  referenceApp(io)
  return await listen(httpServer)
}

async function startEcho (path: string): Promise<string> {
  const httpServer = createServer()
  const engine = attachEngine(httpServer, {
    path: `${path}/`,
    pingInterval: PING_INTERVAL,
    pingTimeout: PING_TIMEOUT,
    maxHttpBufferSize: MAX_PAYLOAD,
    cors: { origin: '*' }
  })
  engine.on('connection', (socket: EngineSocket) => {
    socket.on('data', (data) => { socket.send(data) })
  })
  return await listen(httpServer)
}

async function startPlugin (path: string): Promise<string> {
  const { default: realtime } = await import('../../lib/index')
  const app = Fastify()
  await app.register(realtime, {
    jwt: { secret: SECRET },
    ws: false,
    auth: { required: false },
    // The suites open dozens of sessions from 127.0.0.1 within seconds.
    connectionRateLimit: false,
    // The reference's maxPayload; socketio.maxHttpBufferSize follows it.
    maxPayload: MAX_PAYLOAD,
    socketio: {
      path,
      namespace: '/',
      pingInterval: PING_INTERVAL,
      pingTimeout: PING_TIMEOUT,
      connectTimeout: CONNECT_TIMEOUT,
      // What plain Socket.IO sends: no welcome event (issue 17).
      welcome: false,
      cors: { origin: '*' }
    }
  })
  const io = app.realtime.io
  if (io === undefined) throw new Error('the Socket.IO endpoint is disabled')
  referenceApp(io)
  return await app.listen({ host: '127.0.0.1', port: 0 })
}

async function listen (httpServer: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`
}

const STARTERS: Record<ConformanceTarget, (path: string) => Promise<string>> = { plain: startPlain, plugin: startPlugin, echo: startEcho }

async function main (target: ConformanceTarget): Promise<TargetUrls> {
  const start = STARTERS[target]
  return {
    'socket.io-protocol': await start('/socket.io'),
    'engine.io-protocol': await start('/engine.io')
  }
}

if (parentPort !== null) {
  const port = parentPort
  main((workerData as { target: ConformanceTarget }).target).then((urls) => {
    port.postMessage({ urls })
  }, (err: unknown) => {
    port.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) })
  })
}
