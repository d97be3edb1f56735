import t from 'tap'
import { startServer } from './helpers/app'
import { ioConnect, ioOpen } from './helpers/socketio-client'

t.test('join is acknowledged with { ok: true } and brings the room\'s events', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  t.same(await client.request('join', 'order:1'), { ok: true })
  t.equal(await server.app.realtime.roomSize('order:1'), 1)
  await server.app.realtime.to('order:1').emit('order:status_updated', { status: 'packed' })
  t.same(await client.next('order:status_updated'), { status: 'packed' })
})

t.test('leave is acknowledged with { ok: true } and stops the room\'s events', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  await client.request('join', 'order:1')
  t.same(await client.request('leave', 'order:1'), { ok: true })
  t.equal(await server.app.realtime.roomSize('order:1'), 0)
  await server.app.realtime.to('order:1').emit('gone', 1)
  await server.app.realtime.toUser(1).emit('marker', 2)
  t.equal(await client.next('marker'), 2)
  t.same(client.pending(), [], 'nothing from the room it left')
})

t.test('a join canJoin refuses is answered FORBIDDEN', async (t) => {
  const server = await startServer(t, { canJoin: (_user, room) => room.startsWith('public:') })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  t.same(await client.request('join', 'public:news'), { ok: true })
  t.match(await client.request('join', 'secret:plans'), { ok: false, error: { code: 'FORBIDDEN', message: String } })
})

t.test('another user\'s room is FORBIDDEN whatever canJoin says, and a client cannot leave its own', async (t) => {
  const server = await startServer(t, { canJoin: () => true })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  t.match(await client.request('join', 'user:2'), { ok: false, error: { code: 'FORBIDDEN' } })
  t.match(await client.request('leave', 'user:1'), { ok: false, error: { code: 'FORBIDDEN' } })
})

t.test('a room name that is not a clean string is BAD_REQUEST', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  for (const room of ['', 42, 'x'.repeat(201), 'bad\nroom', null]) {
    t.match(await client.request('join', room), { ok: false, error: { code: 'BAD_REQUEST' } }, `join ${JSON.stringify(room)}`)
  }
  t.match(await client.request('leave', 42), { ok: false, error: { code: 'BAD_REQUEST' } })
})

t.test('a join beyond maxRoomsPerConnection is TOO_MANY_ROOMS', async (t) => {
  const server = await startServer(t, { maxRoomsPerConnection: 2 })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  t.same(await client.request('join', 'room:a'), { ok: true }, 'its user room is the first')
  t.match(await client.request('join', 'room:b'), { ok: false, error: { code: 'TOO_MANY_ROOMS' } })
})

t.test('auto-joins the rooms autoJoin names and lists them in welcome', async (t) => {
  const server = await startServer(t, { autoJoin: async (user) => [`org:${String(user?.orgId)}`] })
  const { client, welcome } = await ioConnect(t, server.httpUrl, { token: server.token(1, { orgId: 7 }) })
  t.same(welcome.rooms, ['user:1', 'org:7'])
  await server.app.realtime.to('org:7').emit('org:news', 'hello')
  t.equal(await client.next('org:news'), 'hello')
})

t.test('requests sent while an async autoJoin runs are handled after it, in order', async (t) => {
  let requestsArrived = (): void => {}
  const arrived = new Promise<void>((resolve) => { requestsArrived = resolve })
  // Setup ends only once the server has received the client's requests.
  const server = await startServer(t, { autoJoin: async () => { await arrived; return ['org:1'] } })
  server.app.realtime.on('rooms', (_data, client) => [...client.rooms])
  server.app.realtime.io?.on('connection', (socket) => socket.onAny((event) => { if (event === 'rooms') requestsArrived() }))
  const client = await ioOpen(t, server.httpUrl, { token: server.token(1) })
  client.socket.emit('join', 'order:1')
  const rooms = client.request('rooms')
  t.match(await client.next('welcome'), { rooms: ['user:1', 'org:1'] }, 'the welcome still comes first')
  t.same(await rooms, ['user:1', 'org:1', 'order:1'], 'the join was applied before the next request')
})

t.test('a refused request without an ack is answered with an error event', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  client.socket.emit('join', 'user:2')
  t.match(await client.next('error'), { code: 'FORBIDDEN', message: String })
})

t.test('closes with disconnect_reason 1011 when autoJoin throws', async (t) => {
  const server = await startServer(t, { autoJoin: () => { throw new Error('database down') } })
  const client = await ioOpen(t, server.httpUrl, { token: server.token(1) })
  t.same(await client.next('disconnect_reason'), { code: 1011, reason: 'setup failed' })
  t.equal(await client.disconnected, 'io server disconnect')
  t.equal(await server.app.realtime.count(), 0)
})
