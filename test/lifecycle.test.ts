import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'
import t from 'tap'
import WebSocket from 'ws'
import { startServer } from './helpers/app'
import { memoryCluster, startNodes } from './helpers/nodes'
import { ioOpen, ioStart } from './helpers/socketio-client'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

t.test('pings every heartbeatInterval and terminates a client that never answers', async (t) => {
  const server = await startServer(t, { heartbeatInterval: 50 })
  // The listener goes on before the handshake: under load the first ping can arrive in the same
  // read as the 101, and ws emits it before any code awaiting 'open' runs.
  const ws = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${server.token(1)}` }, autoPong: false })
  let pings = 0
  ws.on('ping', () => { pings++ })
  const [code] = await once(ws, 'close') as [number]
  t.equal(code, 1006, 'terminated without a close frame')
  t.ok(pings >= 1, 'it was pinged first')
  await waitFor(async () => await server.app.realtime.count() === 0)
  t.equal(await server.app.realtime.roomSize('user:1'), 0, 'room traffic no longer goes there')
})

t.test('keeps a client that answers pings', async (t) => {
  const server = await startServer(t, { heartbeatInterval: 30 })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  let pings = 0
  await new Promise<void>((resolve) => client.ws.on('ping', () => { if (++pings === 4) resolve() }))
  t.equal(client.ws.readyState, client.ws.OPEN, 'still open after four heartbeats')
  client.close()
})

t.test('closes the connection with 4401 when the token expires', async (t) => {
  const server = await startServer(t)
  const token = server.app.jwt.sign({ sub: '1', exp: Math.floor(Date.now() / 1000) + 2 })
  const { client } = await connect(server.wsUrl, { token })
  t.match(await client.closed, { code: 4401, reason: 'token expired' })
})

t.test('app.close() closes every client with 1001', async (t) => {
  const server = await startServer(t)
  const clients = await Promise.all([1, 2, 3].map(async (id) => (await connect(server.wsUrl, { token: server.token(id) })).client))
  await server.app.close()
  for (const client of clients) t.match(await client.closed, { code: 1001, reason: 'server shutdown' })
})

t.test('app.close() leaves no handle open: the process exits on its own', async (t) => {
  const script = resolve(__dirname, 'fixtures', 'close-exits.js')
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 })
  t.equal(result.status, 0, result.stderr)
  t.match(result.stdout, /closed with 1001/)
})

t.test('disconnectUser reaches connections still being admitted: they get the close instead of a welcome', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let admitting = 0
  const server = await startServer(t, { autoJoin: async () => { admitting++; await gate; return ['org:1'] } })
  t.teardown(release)
  const ws = new WebSocket(server.wsUrl, ['realtime.v1'], { headers: { authorization: `Bearer ${server.token(1)}` } })
  const frames: string[] = []
  ws.on('message', (data: Buffer) => frames.push(data.toString()))
  const closed = once(ws, 'close')
  const io = await ioOpen(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  const ioEvents: string[] = []
  io.socket.onAny((event: string) => ioEvents.push(event))
  await waitFor(() => admitting === 2)
  await server.app.realtime.disconnectUser(1)
  release()
  const [code] = await closed as [number]
  t.equal(code, 1000, 'ws: closed as any disconnected client is')
  t.same(frames, [], 'ws: no welcome')
  t.match(await io.next('disconnect_reason'), { code: 1000 }, 'Socket.IO: disconnect_reason 1000')
  t.notOk(ioEvents.includes('welcome'), 'Socket.IO: no welcome')
  t.equal(await server.app.realtime.count(), 0)
  t.equal(await server.app.realtime.roomSize('org:1'), 0)
})

t.test('disconnectUser reaches connections whose token is still being checked (a slow auth.trusted)', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let checking = 0
  const server = await startServer(t, { auth: { trusted: async () => { checking++; await gate; return true } } })
  t.teardown(release)
  const ws = new WebSocket(server.wsUrl, ['realtime.v1'], { headers: { authorization: `Bearer ${server.token(1)}` } })
  const frames: string[] = []
  ws.on('message', (data: Buffer) => frames.push(data.toString()))
  const closed = once(ws, 'close')
  const io = ioStart(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  const ioEvents: string[] = []
  io.socket.onAny((event: string) => ioEvents.push(event))
  await waitFor(() => checking === 2)
  await server.app.realtime.disconnectUser(1)
  release()
  const [code] = await closed as [number]
  t.equal(code, 1000, 'ws: closed')
  t.same(frames, [], 'ws: no welcome')
  t.match(await io.next('disconnect_reason'), { code: 1000 }, 'Socket.IO: disconnect_reason 1000')
  t.notOk(ioEvents.includes('welcome'), 'Socket.IO: no welcome')
  t.notOk(await server.app.realtime.isUserConnected(1))
})

t.test('a disconnect of one user leaves the others being admitted alone', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let admitting = 0
  const server = await startServer(t, { autoJoin: async () => { admitting++; await gate; return [] } })
  t.teardown(release)
  const pending = connect(server.wsUrl, { token: server.token(2) })
  await waitFor(() => admitting === 1)
  await server.app.realtime.disconnectUser(1)
  release()
  const { client, welcome } = await pending
  t.same(welcome.rooms, ['user:2'], 'user 2 is welcomed')
  client.close()
})

t.test('disconnectUser on another node reaches a connection in autoJoin here: its user room is subscribed first', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let admitting = 0
  const cluster = memoryCluster()
  const [a] = await startNodes(t, cluster, 1)
  const [b] = await startNodes(t, cluster, 1, { autoJoin: async () => { admitting++; await gate; return [] } })
  t.teardown(release)
  const ws = new WebSocket(b.wsUrl, ['realtime.v1'], { headers: { authorization: `Bearer ${b.token(1)}` } })
  const frames: string[] = []
  ws.on('message', (data: Buffer) => frames.push(data.toString()))
  const closed = once(ws, 'close')
  await waitFor(() => admitting === 1)
  await a.app.realtime.disconnectUser(1)
  release()
  const [code] = await closed as [number]
  t.equal(code, 1000)
  t.same(frames, [], 'no welcome')
})
