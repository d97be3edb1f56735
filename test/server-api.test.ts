import t from 'tap'
import { startServer } from './helpers/app'
import { connect } from './helpers/ws-client'

t.test('emit reaches every client without a room field', async (t) => {
  const server = await startServer(t)
  const a = await connect(server.wsUrl, { token: server.token(1) })
  const b = await connect(server.wsUrl, { token: server.token(2) })
  t.equal(await server.app.realtime.emit('announcement', { text: 'hi' }), true)
  for (const { client } of [a, b]) t.same(await client.next('event'), { type: 'event', event: 'announcement', data: { text: 'hi' } })
  a.client.close(); b.client.close()
})

t.test('to(room).emit reaches only members and names the room', async (t) => {
  const server = await startServer(t)
  const member = await connect(server.wsUrl, { token: server.token(1) })
  const outsider = await connect(server.wsUrl, { token: server.token(2) })
  await member.client.request({ type: 'join', room: 'order:1' })
  await server.app.realtime.to('order:1').emit('order:status_updated', { status: 'shipped' })
  await server.app.realtime.emit('marker')
  t.same(await member.client.next('event'), { type: 'event', event: 'order:status_updated', room: 'order:1', data: { status: 'shipped' } })
  t.match(await outsider.client.next('event'), { event: 'marker' }, 'the outsider got the marker and nothing before it')
  member.client.close(); outsider.client.close()
})

t.test('to([a, b]) delivers once to a client in both rooms', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  await client.request({ type: 'join', room: 'a' })
  await client.request({ type: 'join', room: 'b' })
  await server.app.realtime.to(['a', 'b']).emit('once')
  await server.app.realtime.to('a').to('b').emit('twice-chained')
  t.same(await client.next('event'), { type: 'event', event: 'once', data: null })
  t.same(await client.next('event'), { type: 'event', event: 'twice-chained', data: null }, 'no duplicate of "once" in between')
  client.close()
})

t.test('except(room) leaves out that room’s members', async (t) => {
  const server = await startServer(t)
  const muted = await connect(server.wsUrl, { token: server.token(1) })
  const listening = await connect(server.wsUrl, { token: server.token(2) })
  await muted.client.request({ type: 'join', room: 'muted' })
  await listening.client.request({ type: 'join', room: 'news' })
  await muted.client.request({ type: 'join', room: 'news' })
  await server.app.realtime.to('news').except('muted').emit('headline')
  await server.app.realtime.except('muted').emit('all-but-muted')
  await server.app.realtime.emit('marker')
  t.match(await listening.client.next('event'), { event: 'headline' })
  t.match(await listening.client.next('event'), { event: 'all-but-muted' })
  t.match(await muted.client.next('event'), { event: 'marker' }, 'the muted client got only the marker')
  muted.client.close(); listening.client.close()
})

t.test('toUser(id) reaches every connection of that user, without a room field', async (t) => {
  const server = await startServer(t)
  const first = await connect(server.wsUrl, { token: server.token(42) })
  const second = await connect(server.wsUrl, { token: server.token(42) })
  const other = await connect(server.wsUrl, { token: server.token(43) })
  await server.app.realtime.toUser(42).emit('notification:new', { text: 'Shipped' })
  await server.app.realtime.emit('marker')
  for (const { client } of [first, second]) t.same(await client.next('event'), { type: 'event', event: 'notification:new', data: { text: 'Shipped' } })
  t.match(await other.client.next('event'), { event: 'marker' })
  for (const { client } of [first, second, other]) client.close()
})

t.test('a handler’s return value, sync or async, is the ack', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on<{ a: number, b: number }>('add', ({ a, b }) => a + b)
  server.app.realtime.on('later', async () => await new Promise((resolve) => setImmediate(resolve, 'done')))
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  t.same(await client.request({ type: 'emit', event: 'add', data: { a: 2, b: 3 }, id: 'x' }), { type: 'ack', id: 'x', data: 5 })
  t.same(await client.request({ type: 'emit', event: 'later', id: 'y' }), { type: 'ack', id: 'y', data: 'done' })
  client.close()
})

t.test('an event without a handler answers NOT_FOUND', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  t.match(await client.request({ type: 'emit', event: 'nobody-listens' }), { type: 'error', code: 'NOT_FOUND' })
  client.send({ type: 'emit', event: 'nobody-listens' })
  t.match(await client.next('error'), { code: 'NOT_FOUND' }, 'also without an id: never a silent drop')
  client.close()
})

t.test('a handler that throws answers INTERNAL to that client only, logged once', async (t) => {
  const logged: unknown[] = []
  const server = await startServer(t, {}, { logger: { level: 'error', stream: { write: (line: string) => logged.push(JSON.parse(line)) } } })
  server.app.realtime.on('boom', () => { throw new Error('secret detail') })
  server.app.realtime.on('reject', async () => { throw new Error('async detail') })
  const thrower = await connect(server.wsUrl, { token: server.token(1) })
  const bystander = await connect(server.wsUrl, { token: server.token(2) })
  t.same(await thrower.client.request({ type: 'emit', event: 'boom', id: 'b' }), { type: 'error', id: 'b', code: 'INTERNAL', message: 'Internal error' })
  t.same(await thrower.client.request({ type: 'emit', event: 'reject', id: 'r' }), { type: 'error', id: 'r', code: 'INTERNAL', message: 'Internal error' })
  await server.app.realtime.emit('still-fine')
  t.match(await bystander.client.next('event'), { event: 'still-fine' }, 'the bystander saw no error')
  t.match(await thrower.client.request({ type: 'ping' }), { type: 'pong' }, 'the thrower stays connected')
  t.equal(logged.filter((line) => JSON.stringify(line).includes('secret detail')).length, 1, 'logged once')
  thrower.client.close(); bystander.client.close()
})

t.test('a handler can relay to a room excluding the sender, join, leave, emit and disconnect', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on<{ room: string }>('typing', (data, client) => { void client.to(data.room).emit('typing', { user: client.userId }) })
  server.app.realtime.on('enter', (_data, client) => { client.join('vip'); return [...client.rooms] })
  server.app.realtime.on('exit', (_data, client) => { client.leave('vip'); return [...client.rooms] })
  server.app.realtime.on('whoami', (_data, client) => { client.emit('you', { id: client.id, transport: client.transport }) })
  server.app.realtime.on('bye', (_data, client) => { client.disconnect() })
  const sender = await connect(server.wsUrl, { token: server.token(1) })
  const peer = await connect(server.wsUrl, { token: server.token(2) })
  await sender.client.request({ type: 'join', room: 'chat' })
  await peer.client.request({ type: 'join', room: 'chat' })
  sender.client.send({ type: 'emit', event: 'typing', data: { room: 'chat' } })
  t.same(await peer.client.next('event'), { type: 'event', event: 'typing', room: 'chat', data: { user: '1' } })
  t.match(await sender.client.request({ type: 'emit', event: 'enter' }), { data: ['user:1', 'chat', 'vip'] })
  t.match(await sender.client.request({ type: 'emit', event: 'exit' }), { data: ['user:1', 'chat'] })
  sender.client.send({ type: 'emit', event: 'whoami' })
  t.same(await sender.client.next('event'), { type: 'event', event: 'you', data: { id: sender.welcome.connectionId, transport: 'ws' } })
  t.equal(sender.client.pending().some((frame) => frame.type === 'event' && frame.event === 'typing'), false, 'the sender did not get its own relay')
  sender.client.send({ type: 'emit', event: 'bye' })
  t.match(await sender.client.closed, { code: 1000 })
  peer.client.close()
})

t.test('count, roomSize, isUserConnected and connectedUsers describe the connected clients', async (t) => {
  const server = await startServer(t)
  const { realtime } = server.app
  t.equal(await realtime.count(), 0)
  const a = await connect(server.wsUrl, { token: server.token(1) })
  const b = await connect(server.wsUrl, { token: server.token(1) })
  const c = await connect(server.wsUrl, { token: server.token(2) })
  t.equal(await realtime.count(), 3)
  t.equal(await realtime.roomSize('user:1'), 2)
  t.equal(await realtime.isUserConnected(2), true)
  t.equal(await realtime.isUserConnected('3'), false)
  t.same((await realtime.connectedUsers()).sort(), ['1', '2'])
  for (const { client } of [a, b, c]) client.close()
})

t.test('server-side API calls with bad arguments throw coded errors', async (t) => {
  const server = await startServer(t)
  const { realtime } = server.app
  t.throws(() => realtime.to(''), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  t.throws(() => realtime.to(['ok', 'bad\n']), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  t.throws(() => realtime.toUser(''), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  t.throws(() => realtime.emit(''), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  t.throws(() => realtime.on('join', () => {}), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, 'reserved event names')
  realtime.on('taken', () => {})
  t.throws(() => realtime.on('taken', () => {}), { code: 'FST_REALTIME_DUPLICATE_HANDLER' })
  const cycle: Record<string, unknown> = {}
  cycle.self = cycle
  t.throws(() => realtime.emit('cyclic', cycle), TypeError, 'data JSON cannot carry is refused before anything is sent')
})

t.test('Socket.IO’s reserved event names are refused for every emit, so no Socket.IO client is dropped', async (t) => {
  const server = await startServer(t)
  const { realtime } = server.app
  realtime.on('relay', (_data, client) => client.emit('disconnect'))
  const { client: ws } = await connect(server.wsUrl, { token: server.token(1) })
  for (const name of ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']) {
    t.throws(() => realtime.emit(name), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, name)
    t.throws(() => realtime.to('room').emit(name), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  }
  t.match(await ws.request({ type: 'emit', event: 'relay' }), { type: 'error', code: 'INTERNAL' }, 'a handler that tries it fails like any throwing handler')
  t.ok(await realtime.emit('disconnected', 'a name of its own is fine'))
  ws.close()
})

t.test('the plugin\'s own message names are refused for emits too, so no client takes a server event for the plugin\'s welcome, error or disconnect_reason', async (t) => {
  const server = await startServer(t)
  const { realtime } = server.app
  const { client: ws } = await connect(server.wsUrl, { token: server.token(1) })
  for (const name of ['welcome', 'error', 'disconnect_reason']) {
    t.throws(() => realtime.emit(name), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, name)
    t.throws(() => realtime.toUser(1).emit(name), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
    t.throws(() => realtime.on(name, () => {}), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, `${name} takes no handler either`)
  }
  for (const name of ['join', 'leave', 'auth']) t.throws(() => realtime.on(name, () => {}), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, `${name} is a client request`)
  ws.close()
})
