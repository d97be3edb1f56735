import { once } from 'node:events'
import type { Socket } from 'socket.io'
import t from 'tap'
import { startServer } from './helpers/app'
import { engineUrl, openSession, poll, post } from './helpers/engine-http'
import { ioConnect, ioRefused, ioServer, onceEvent, type IoTestClient } from './helpers/socketio-client'
import { refused } from './helpers/ws-client'

/** Resolves once the client's engine.io connection has moved to WebSocket. */
async function upgraded (client: IoTestClient): Promise<void> {
  if (client.transport === 'websocket') return
  await onceEvent(client.socket.io.engine, 'upgrade')
}

t.test('a polling-only client connects, is welcomed and keeps polling', async (t) => {
  const server = await startServer(t)
  const { client, welcome } = await ioConnect(t, server.httpUrl, { token: server.token(7), transports: ['polling'] })
  t.match(welcome, { connectionId: client.socket.id, user: { sub: 7 }, rooms: ['user:7'] })
  t.same(await client.request('join', 'order:1'), { ok: true })
  await server.app.realtime.to('order:1').emit('order:status_updated', { status: 'shipped' })
  t.same(await client.next('order:status_updated'), { status: 'shipped' })
  t.equal(client.transport, 'polling', 'never upgraded')
})

t.test('a WebSocket-only client connects without any polling request', async (t) => {
  const server = await startServer(t)
  const { client, welcome } = await ioConnect(t, server.httpUrl, { token: server.token(7), transports: ['websocket'] })
  t.equal(client.transport, 'websocket')
  t.same(welcome.rooms, ['user:7'])
  t.same(await client.request('join', 'order:1'), { ok: true })
  await server.app.realtime.to('order:1').emit('order:status_updated', { status: 'shipped' })
  t.same(await client.next('order:status_updated'), { status: 'shipped' })
})

t.test('a default client upgrades from polling to WebSocket and keeps its rooms', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(7) })
  t.same(await client.request('join', 'order:1'), { ok: true })
  await upgraded(client)
  t.equal(client.transport, 'websocket')
  await server.app.realtime.to('order:1').emit('order:status_updated', { status: 'shipped' })
  t.same(await client.next('order:status_updated'), { status: 'shipped' })
  t.equal(await server.app.realtime.count(), 1, 'still one connection after the upgrade')
})

t.test('a server offering only polling refuses WebSocket clients and never upgrades', async (t) => {
  const server = await startServer(t, { socketio: { transports: ['polling'] } })
  t.match((await ioRefused(t, server.httpUrl, { token: server.token(7), transports: ['websocket'] })).message, /websocket error/)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(7) })
  t.same(await client.request('join', 'room:1'), { ok: true })
  t.equal(client.transport, 'polling', 'no upgrade was offered')
})

t.test('refuses the upgrade of an unknown session with 400 before any 101', async (t) => {
  const server = await startServer(t)
  const wsUrl = engineUrl(server.httpUrl, { transport: 'websocket', sid: 'made-up' }).replace('http:', 'ws:')
  const refusal = await refused(wsUrl)
  t.equal(refusal.statusCode, 400)
  t.same(await refusal.body, { code: 1, message: 'Session ID unknown' }, 'engine.io\'s own answer')
})

t.test('serves a custom path and namespace', async (t) => {
  const server = await startServer(t, { socketio: { path: '/rt/', namespace: '/live' } })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(7), path: '/rt', namespace: '/live' })
  await server.app.realtime.toUser(7).emit('hello', 'there')
  t.equal(await client.next('hello'), 'there')
  const other = await fetch(engineUrl(server.httpUrl, {}))
  t.equal(other.status, 404, 'nothing on the default path')
})

t.test('with socketio: false there is no engine.io route and no io server', async (t) => {
  const server = await startServer(t, { socketio: false })
  t.equal(server.app.realtime.io, undefined)
  t.equal((await fetch(engineUrl(server.httpUrl, {}))).status, 404)
})

t.test('refuses engine.io protocol 3 (Socket.IO 2 clients)', async (t) => {
  const server = await startServer(t)
  const response = await fetch(engineUrl(server.httpUrl, { EIO: '3' }))
  t.equal(response.status, 400)
  t.match(await response.json(), { message: 'Unsupported protocol version' })
})

t.test('rejects a polling body over maxHttpBufferSize with 413', async (t) => {
  const server = await startServer(t, { socketio: { maxHttpBufferSize: 1024 } })
  const { sid, maxPayload } = await openSession(server.httpUrl)
  t.equal(maxPayload, 1024, 'the limit is announced in the handshake')
  t.equal((await post(server.httpUrl, sid, '4' + 'x'.repeat(2048))).status, 413)
})

t.test('a WebSocket message over maxPayload ends the connection', async (t) => {
  const server = await startServer(t, { maxPayload: 1024 })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(7), transports: ['websocket'] })
  client.socket.emit('big', 'x'.repeat(2048))
  t.equal(await client.disconnected, 'transport close')
  t.equal(await server.app.realtime.count(), 0)
})

t.test('maxHttpBufferSize defaults to maxPayload', async (t) => {
  const server = await startServer(t, { maxPayload: 4096 })
  t.equal((await openSession(server.httpUrl)).maxPayload, 4096)
})

t.test('closes a session that never connects to the namespace after connectTimeout', async (t) => {
  const server = await startServer(t, { socketio: { connectTimeout: 100 } })
  const { sid } = await openSession(server.httpUrl)
  // The long poll is answered with the close packet once the timeout ends the session.
  t.same(await poll(server.httpUrl, sid), { status: 200, body: '1' })
  t.equal((await poll(server.httpUrl, sid)).status, 400, 'the session is gone')
})

t.test('pings Socket.IO clients every heartbeatInterval by default', async (t) => {
  const server = await startServer(t, { heartbeatInterval: 50 })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(7), transports: ['websocket'] })
  let pings = 0
  await new Promise<void>((resolve) => client.socket.io.engine.on('ping', () => { if (++pings === 3) resolve() }))
  t.equal(client.socket.connected, true, 'still connected after three pings')
})

t.test('drops a client that stops answering pings and forgets it', async (t) => {
  const server = await startServer(t, { socketio: { pingInterval: 50, pingTimeout: 50 } })
  const namespace = ioServer(server.app).of('/')
  const { sid } = await openSession(server.httpUrl)
  const connected = once(namespace, 'connection')
  t.equal((await post(server.httpUrl, sid, '40' + JSON.stringify({ token: server.token(7) }))).status, 200)
  const [socket] = await connected as [Socket]
  const disconnected = once(socket, 'disconnect')
  // Keep polling, so the server can always write to the client, but never answer a ping.
  let packets: string[] = []
  for (let polls = 0; polls < 50 && !packets.includes('1'); polls++) packets = (await poll(server.httpUrl, sid)).body.split('\x1e')
  t.ok(packets.includes('1'), 'the last poll is answered with the close packet')
  t.equal((await disconnected)[0], 'ping timeout')
  t.equal(await server.app.realtime.count(), 0, 'the connection left the hub')
})

t.test('a malformed Socket.IO packet ends that session only', async (t) => {
  const server = await startServer(t)
  const { client: bystander } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  const { sid } = await openSession(server.httpUrl)
  await post(server.httpUrl, sid, '40' + JSON.stringify({ token: server.token(7) }))
  let received = ''
  for (let polls = 0; polls < 10 && !received.includes('"welcome"'); polls++) received += (await poll(server.httpUrl, sid)).body
  t.equal(await server.app.realtime.count(), 2)
  const waiting = poll(server.httpUrl, sid)
  t.equal((await post(server.httpUrl, sid, '42["event", {"unterminated":')).status, 200)
  t.same(await waiting, { status: 200, body: '1' }, 'the waiting poll carries the close packet')
  t.equal(await server.app.realtime.count(), 1)
  t.same(await bystander.request('join', 'room:1'), { ok: true }, 'other clients are unaffected')
})
