import { once } from 'node:events'
import { createServer, type IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import { Server as EngineServer } from 'engine.io'
import { Server as IoServer, type Socket } from 'socket.io'
import { Adapter } from 'socket.io-adapter'
import { io as ioClient } from 'socket.io-client'
import t from 'tap'
import WebSocket from 'ws'
import { engineQuery, hasEngineSession, markSessionClosing, queuedPacketCount, terminateWebSocket, webSocketBufferedBytes } from '../lib/internals/engine-io'
import { forgetUpgradeHead } from '../lib/internals/fastify-websocket'
import { assignedResponse } from '../lib/internals/node-http'
import { pinoHooksOf, replacePinoHooks } from '../lib/internals/pino'
import { adjustCreatedSockets, preConnectSockets, restoreSocket, setSocketId, socketPid, useFirst } from '../lib/internals/socket-io'
import { frameTextParts } from '../lib/internals/ws'
import { startServer } from './helpers/app'
import { ioConnect, onceEvent, serverSocket } from './helpers/socketio-client'

/*
 * One test per library whose private state lib/internals/ reaches. Each fails when an upgrade removes
 * the internal or changes its shape: review the module named in the failure before changing the range.
 */

function shapeOf (value: object, key: string): string {
  return typeof (value as Record<string, unknown>)[key]
}

t.test('engine.io still has prepare, onWebSocket and clients, and prepare still parses the query into _query', async (t) => {
  // Attached to nothing: nothing to close.
  const engine = new EngineServer()
  t.equal(shapeOf(engine, 'prepare'), 'function', 'engine.io changed: review lib/internals/engine-io.ts (prepare)')
  t.equal(shapeOf(engine, 'onWebSocket'), 'function', 'engine.io changed: review lib/internals/engine-io.ts (onWebSocket)')
  t.equal(shapeOf(engine, 'clients'), 'object', 'engine.io changed: review lib/internals/engine-io.ts (clients)')
  const request = { url: '/engine.io/?EIO=4&transport=polling&sid=abc', headers: {} } as unknown as IncomingMessage
  t.same(engineQuery(engine, request), { EIO: '4', transport: 'polling', sid: 'abc' })
  t.equal(hasEngineSession(engine, 'abc'), false)
})

t.test("an engine.io session still has its writeBuffer and, over WebSocket, its transport's ws socket", async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  const conn = serverSocket(server.app, client.socket.id).conn
  t.ok(Array.isArray((conn as unknown as { writeBuffer?: unknown }).writeBuffer), 'engine.io changed: review lib/internals/engine-io.ts (writeBuffer)')
  t.equal(queuedPacketCount(conn), 0)
  t.equal(conn.transport.name, 'websocket')
  const ws = (conn.transport as unknown as { socket?: unknown }).socket
  t.ok(ws instanceof WebSocket, "engine.io changed: review lib/internals/engine-io.ts (the websocket transport's socket)")
  t.equal(webSocketBufferedBytes(conn), 0)
  const closed = once(conn, 'close')
  terminateWebSocket(conn)
  const [reason] = await closed as [string]
  t.equal(reason, 'transport close', 'terminating the ws socket ends the session at once')
})

t.test('an engine.io session marked closing queues nothing more (what engine.io does for its own close)', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['polling'] })
  const conn = serverSocket(server.app, client.socket.id).conn
  t.ok(hasEngineSession(server.app.realtime.io?.engine as EngineServer, (conn as unknown as { id: string }).id), 'the server holds the session under its sid')
  markSessionClosing(conn)
  t.equal(conn.readyState, 'closing')
  const before = queuedPacketCount(conn)
  conn.write('4ignored')
  t.equal(queuedPacketCount(conn), before, 'engine.io changed: review lib/internals/engine-io.ts (a closing session must queue nothing)')
  conn.close(true)
})

t.test('Socket.IO still has _createSocket, _fns and _preConnectSockets, holding a socket while it is in the middlewares', async (t) => {
  const http = createServer()
  const io = new IoServer(http)
  t.teardown(async () => { await io.close() })
  const namespace = io.of('/')
  t.equal(shapeOf(namespace, '_createSocket'), 'function', 'socket.io changed: review lib/internals/socket-io.ts (_createSocket)')
  t.ok(Array.isArray((namespace as unknown as { _fns?: unknown })._fns), 'socket.io changed: review lib/internals/socket-io.ts (_fns)')
  t.ok(preConnectSockets(namespace) instanceof Map, 'socket.io changed: review lib/internals/socket-io.ts (_preConnectSockets)')

  const order: string[] = []
  let pendingWhileConnecting: Socket | undefined
  namespace.use((_socket, next) => { order.push('app'); next() })
  useFirst(namespace, (socket, next) => {
    order.push('first')
    pendingWhileConnecting = preConnectSockets(namespace)?.get(socket.id)
    next()
  })
  adjustCreatedSockets(namespace, (socket) => { setSocketId(socket, `x-${socket.id}`) })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const client = ioClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'] })
  t.teardown(() => client.close())
  const [socket] = await once(namespace, 'connection') as [Socket]
  t.same(order, ['first', 'app'], 'useFirst runs before the middlewares added earlier')
  t.equal(pendingWhileConnecting, socket, 'the socket was pending under its id while in the middlewares')
  t.ok(socket.id.startsWith('x-'), 'the adjusted id is the id Socket.IO files the socket under')
  t.equal(namespace.sockets.get(socket.id), socket)
  t.equal(preConnectSockets(namespace)?.size, 0, 'connected sockets are no longer pending')

  const bare = Object.create(namespace) as typeof namespace
  Object.defineProperty(bare, '_createSocket', { value: undefined })
  t.throws(() => { adjustCreatedSockets(bare, () => {}) }, /_createSocket/, 'without the internal, registering fails loudly')
})

t.test('with connectionStateRecovery, Socket.IO still keeps a pid a middleware can restore with an id, routes socket.emit through the adapter and persists on a transport close', async (t) => {
  const http = createServer()
  const broadcasts: unknown[][] = []
  const persisted: Array<{ sid: string, pid: string }> = []
  class Recording extends Adapter {
    override broadcast (packet: { data: unknown[] }, options: Parameters<Adapter['broadcast']>[1]): void {
      broadcasts.push([...packet.data])
      super.broadcast(packet, options)
    }

    override persistSession (session: { sid: string, pid: string }): void {
      persisted.push({ sid: session.sid, pid: session.pid })
    }
  }
  const io = new IoServer(http, { adapter: Recording, connectionStateRecovery: { skipMiddlewares: false } })
  t.teardown(async () => { await io.close() })
  const namespace = io.of('/')
  let freshPid: string | undefined
  namespace.use((socket, next) => {
    freshPid = socketPid(socket)
    restoreSocket(namespace, socket, 'restored-id', 'restored-pid')
    t.equal(preConnectSockets(namespace)?.get('restored-id'), socket, 'pending under the restored id')
    next()
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const client = ioClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'], reconnection: false })
  t.teardown(() => client.close())
  const [socket] = await once(namespace, 'connection') as [Socket]
  await onceEvent(client, 'connect')
  t.type(freshPid, 'string', 'socket.io changed: review lib/internals/socket-io.ts (pid)')
  t.equal(socket.id, 'restored-id')
  t.equal(socketPid(socket), 'restored-pid')
  t.equal(socket.recovered, true)
  t.equal(namespace.sockets.get('restored-id'), socket)
  t.equal(preConnectSockets(namespace)?.size, 0, 'socket.io changed: review lib/internals/socket-io.ts (_preConnectSockets, restoreSocket)')
  t.equal(client.id, 'restored-id', 'the CONNECT reply carries the restored id')
  t.equal((client as unknown as { _pid?: string })._pid, 'restored-pid', 'socket.io changed: the CONNECT reply no longer carries socket.pid')
  const received = onceEvent(client, 'hello')
  socket.emit('hello', 'world')
  t.same(await received, ['world'])
  t.same(broadcasts, [['hello', 'world']], 'socket.io changed: socket.emit no longer goes through adapter.broadcast with connectionStateRecovery')
  const closed = once(socket, 'disconnect')
  client.io.engine.close()
  t.same((await closed)[0], 'transport close')
  t.same(persisted, [{ sid: 'restored-id', pid: 'restored-pid' }], 'socket.io changed: no persistSession on a transport close')
})

t.test("ws still exports Sender.frame, which frames a server's text message", async (t) => {
  t.equal(typeof (WebSocket as unknown as { Sender?: { frame?: unknown } }).Sender?.frame, 'function', 'ws changed: review lib/internals/ws.ts')
  t.same(Buffer.concat(frameTextParts(Buffer.from('hi'))), Buffer.from([0x81, 0x02, 0x68, 0x69]))
  const long = Buffer.alloc(300, 0x61)
  t.same(Buffer.concat(frameTextParts(long)), Buffer.concat([Buffer.from([0x81, 126, 0x01, 0x2c]), long]), 'a 16-bit length')
})

t.test("@fastify/websocket still keeps the upgrade head under 'ws-head', and Node the assigned response under _httpMessage", async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyWebsocket)
  const seen: { head?: boolean, response?: boolean, forgotten?: boolean } = {}
  app.get('/', { websocket: true }, (socket, request) => {
    const raw = request.raw as unknown as Record<symbol, unknown>
    const head = Object.getOwnPropertySymbols(raw).find((key) => key.description === 'ws-head')
    seen.head = head !== undefined && Buffer.isBuffer(raw[head])
    seen.response = assignedResponse(request.raw.socket) instanceof ServerResponse
    forgetUpgradeHead(request.raw)
    seen.forgotten = head !== undefined && raw[head] === undefined
    socket.close()
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const client = new WebSocket(`ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/`)
  await once(client, 'close')
  t.equal(seen.head, true, "@fastify/websocket changed: review lib/internals/fastify-websocket.ts ('ws-head')")
  t.equal(seen.response, true, 'Node changed: review lib/internals/node-http.ts (_httpMessage)')
  t.equal(seen.forgotten, true)
})

t.test("pino still keeps its hooks under Symbol.for('pino.hooks') and rebuilds its log methods with replaced ones", async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done() } })
  const app = Fastify({ logger: { level: 'info', stream } })
  t.teardown(() => app.close())
  const hooks = pinoHooksOf(app.log)
  t.type(hooks, 'object', 'pino changed: review lib/internals/pino.ts')
  t.equal(pinoHooksOf({}), undefined, 'another logger has no pino hooks')
  if (hooks === undefined) return
  replacePinoHooks(app.log, { ...hooks, logMethod (_args, method) { method.apply(this, ['rewritten']) } })
  app.log.info('original')
  app.log.child({}).info('from a child')
  t.equal(lines.length, 2)
  for (const line of lines) t.equal((JSON.parse(line) as { msg: string }).msg, 'rewritten', 'pino changed: review lib/internals/pino.ts (hooks not applied)')
})
