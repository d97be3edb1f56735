import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fastifyWebsocket from '@fastify/websocket'
import Fastify from 'fastify'
import t from 'tap'
import WebSocket from 'ws'
import realtime from '../lib/index'
import { SECRET, startServer, type TestServer } from './helpers/app'
import { captureLogs } from './helpers/log-capture'
import { RawSocket } from './helpers/raw-socket'
import { ioConnect, serverSocket } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** Collects garbage until `ref` is cleared, for a bounded number of turns. */
async function isCollected (ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 20 && ref.deref() !== undefined; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
  }
  return ref.deref() === undefined
}

/** Remembers the raw request of the next upgrade the server sees. */
function watchNextUpgrade (server: TestServer): { request: () => WeakRef<IncomingMessage> } {
  let ref: WeakRef<IncomingMessage> | undefined
  server.app.server.prependOnceListener('upgrade', (request: IncomingMessage) => { ref = new WeakRef(request) })
  return {
    request: () => {
      if (ref === undefined) throw new Error('no upgrade seen')
      return ref
    }
  }
}

t.test('an open connection does not keep its handshake request (nor the reply and response holding it) alive', async (t) => {
  const server = await startServer(t, { autoJoin: () => ['feed'] })
  const upgrade = watchNextUpgrade(server)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  t.ok(await isCollected(upgrade.request()), 'the upgrade request was collected')
  t.match(await client.request({ type: 'ping' }), { type: 'pong' }, 'the connection still works')
  await server.app.realtime.to('feed').emit('still', 'here')
  t.match(await client.next('event'), { event: 'still', data: 'here' })
  client.close()
})

t.test('a socket error after the release is logged and ends that connection only', async (t) => {
  const logs = captureLogs()
  const server = await startServer(t, {}, { logger: { level: 'error', stream: logs.stream } })
  const { raw, status } = await RawSocket.upgrade(server.port, '/ws', [`Authorization: Bearer ${server.token(1)}`])
  t.equal(status, 101)
  raw.sendFrame(0x3, Buffer.from('x'))
  t.equal(await raw.closeCode(), 1002)
  t.ok(logs.lines.some((line) => line.includes('fastify-realtime: socket error') && line.includes('"level":50')), 'logged at error level')
  const { client } = await connect(server.wsUrl, { token: server.token(2) })
  t.match(await client.request({ type: 'ping' }), { type: 'pong' }, 'others are served')
  client.close()
})

t.test('when the app registered @fastify/websocket itself, its error handler still sees socket errors', async (t) => {
  const errors: string[] = []
  const app = Fastify()
  await app.register(fastifyWebsocket, {
    errorHandler: (error, socket) => {
      errors.push(error.message)
      socket.terminate()
    }
  })
  await app.register(realtime, { jwt: { secret: SECRET } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const port = (app.server.address() as AddressInfo).port
  const token = app.jwt.sign({ sub: 1 }, { expiresIn: '1h' })
  const { raw, status } = await RawSocket.upgrade(port, '/ws', [`Authorization: Bearer ${token}`])
  t.equal(status, 101)
  raw.sendFrame(0x3, Buffer.from('x'))
  t.equal(await raw.closeCode(), 1002)
  t.match(errors, [/opcode/i])
})

t.test('a Socket.IO WebSocket session does not keep the upgrade head buffer, though engine.io keeps its request', async (t) => {
  const server = await startServer(t)
  let head: WeakRef<Buffer> | undefined
  server.app.server.prependOnceListener('upgrade', (_request: IncomingMessage, _socket: unknown, buffer: Buffer) => { head = new WeakRef(buffer) })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  if (head === undefined) throw new Error('no upgrade seen')
  t.ok(await isCollected(head), 'the head buffer was collected')
  t.ok(serverSocket(server.app, client.socket.id).request, 'engine.io still has the request')
  t.same(await client.request('join', 'room:1'), { ok: true }, 'the session still works')
})

t.test('a protocol error on a Socket.IO WebSocket ends that session only', async (t) => {
  const logs = captureLogs()
  const server = await startServer(t, {}, { logger: { level: 'error', stream: logs.stream } })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  const { raw, status } = await RawSocket.upgrade(server.port, '/socket.io/?EIO=4&transport=websocket', [])
  t.equal(status, 101)
  raw.sendFrame(0x3, Buffer.from('x'))
  t.equal(await raw.closeCode(), 1002, 'ws closes the socket on a reserved opcode')
  t.same(await client.request('join', 'room:1'), { ok: true }, 'the other session is served')
  t.same(logs.lines.filter((line) => line.includes('"level":50')), [], 'nothing logged as an error: engine.io ends the session')
})

t.test('when the app registered @fastify/websocket itself, the 101 never names the token subprotocol', async (t) => {
  const app = Fastify()
  await app.register(fastifyWebsocket)
  await app.register(realtime, { jwt: { secret: SECRET } })
  app.get('/app-socket', { websocket: true }, (socket) => { socket.close() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const port = (app.server.address() as AddressInfo).port
  const token = app.jwt.sign({ sub: 1 }, { expiresIn: '1h' })
  const { client } = await connect(`ws://127.0.0.1:${port}/ws`, { protocols: [`bearer.${token}`, 'realtime.v1'] })
  t.equal(client.ws.protocol, 'realtime.v1', 'the protocol, though the token was offered first')
  client.close()
  const appSocket = new WebSocket(`ws://127.0.0.1:${port}/app-socket`, [`bearer.${token}`, 'chat'])
  appSocket.on('error', () => {})
  const [response] = await once(appSocket, 'upgrade') as [IncomingMessage]
  t.equal(response.headers['sec-websocket-protocol'], undefined, 'nor on the app\'s own routes, where ws would pick the first offered')
  appSocket.terminate()
  const chat = new WebSocket(`ws://127.0.0.1:${port}/app-socket`, ['chat'])
  await once(chat, 'open')
  t.equal(chat.protocol, 'chat', 'the app\'s routes still get the subprotocols they offer')
  chat.terminate()
})
