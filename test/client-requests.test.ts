import t from 'tap'
import { RealtimeClientError } from '../lib/client'
import { startServer } from './helpers/app'
import { newClient, nextEvent } from './helpers/realtime-client'

t.test('join() resolves once the server acknowledges, and the room\'s events arrive', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  await client.join('order:1')
  t.equal(await server.app.realtime.roomSize('order:1'), 1)
  t.same(client.rooms, ['order:1'])
  const received = nextEvent(client, 'order:status_updated')
  await server.app.realtime.to('order:1').emit('order:status_updated', { status: 'shipped' })
  t.same(await received, { data: { status: 'shipped' }, room: 'order:1' })
})

t.test('leave() resolves once the server acknowledges, and the room\'s events stop', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  await client.join('order:1')
  await client.join('order:2')
  await client.leave('order:1')
  t.equal(await server.app.realtime.roomSize('order:1'), 0)
  t.same(client.rooms, ['order:2'])
  const seen: unknown[] = []
  client.on('status', (data, room) => { seen.push([room, data]) })
  const last = nextEvent(client, 'status')
  // Events of one node reach a client in order: once order:2's arrives, order:1's would have.
  await server.app.realtime.to('order:1').emit('status', 'left behind')
  await server.app.realtime.to('order:2').emit('status', 'still here')
  await last
  t.same(seen, [['order:2', 'still here']])
})

t.test('join() rejects with FORBIDDEN when canJoin refuses, and the room is not remembered', async (t) => {
  const server = await startServer(t, { canJoin: (_user, room) => room.startsWith('public:') })
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  const error = await client.join('private:1').catch((err: unknown) => err)
  t.type(error, RealtimeClientError)
  t.match(error, { code: 'FORBIDDEN', message: 'Not allowed to join this room' })
  await client.join('public:1')
  t.same(client.rooms, ['public:1'])
})

t.test('join() rejects with TOO_MANY_ROOMS past maxRoomsPerConnection', async (t) => {
  const server = await startServer(t, { maxRoomsPerConnection: 2 })
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  await client.join('a')
  await t.rejects(client.join('b'), { code: 'TOO_MANY_ROOMS' })
})

t.test('join() rejects with BAD_REQUEST for a room name the server refuses', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  await t.rejects(client.join(''), { code: 'BAD_REQUEST' })
  await t.rejects(client.join('bad\nroom'), { code: 'BAD_REQUEST' })
})

t.test('a join followed at once by a leave leaves the room forgotten', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  await Promise.all([client.join('flash'), client.leave('flash')])
  t.same(client.rooms, [])
  t.equal(await server.app.realtime.roomSize('flash'), 0)
})

t.test('emitWithAck() resolves with what the realtime.on handler returns', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('chat:send', async (data: { text: string }, client) => ({ echoed: data.text, by: client.userId }))
  const client = newClient(t, { url: server.wsUrl, token: server.token(7) })
  await client.connect()
  t.same(await client.emitWithAck('chat:send', { text: 'hello' }), { echoed: 'hello', by: '7' })
})

t.test('emitWithAck() rejects with NOT_FOUND when the server has no handler', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  await t.rejects(client.emitWithAck('nobody-listens', {}), { code: 'NOT_FOUND', message: 'No handler for event "nobody-listens"' })
})

t.test('emitWithAck() rejects with INTERNAL when the handler throws', async (t) => {
  const server = await startServer(t, {}, { logger: false })
  server.app.realtime.on('broken', () => { throw new Error('secret detail') })
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  await t.rejects(client.emitWithAck('broken', {}), { code: 'INTERNAL', message: 'Internal error' })
})

t.test('emitWithAck() rejects with RATE_LIMITED when the server drops the frame', async (t) => {
  const server = await startServer(t, { messageRateLimit: { max: 1, timeWindow: 60_000 } })
  server.app.realtime.on('note', () => 'ok')
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  t.equal(await client.emitWithAck('note', 1), 'ok')
  await t.rejects(client.emitWithAck('note', 2), { code: 'RATE_LIMITED' })
})

t.test('emitWithAck() rejects with TIMEOUT when no answer comes within ackTimeout', async (t) => {
  const server = await startServer(t)
  let answer: (value: string) => void = () => {}
  server.app.realtime.on('slow', async () => await new Promise<string>((resolve) => { answer = resolve }))
  server.app.realtime.on('fast', () => 'fast')
  const client = newClient(t, { url: server.wsUrl, token: server.token(1), ackTimeout: 100 })
  const errors: Error[] = []
  client.on('error', (error) => { errors.push(error) })
  await client.connect()
  const error = await client.emitWithAck('slow', {}).catch((err: unknown) => err)
  t.match(error, { code: 'TIMEOUT', message: 'No answer to "slow" within 100 ms' })
  answer('too late')
  t.equal(await client.emitWithAck('fast', {}), 'fast', 'the late ack is dropped and the client carries on')
  t.same(errors, [], 'a late ack is not an error')
})

t.test('an error that answers a request after its timeout is dropped too, not reported as an error event', async (t) => {
  const server = await startServer(t)
  let fail: (error: Error) => void = () => {}
  server.app.realtime.on('slow', async () => await new Promise((_resolve, reject) => { fail = reject }))
  server.app.realtime.on('fast', () => 'fast')
  const client = newClient(t, { url: server.wsUrl, token: server.token(1), ackTimeout: 100 })
  const errors: Error[] = []
  client.on('error', (error) => { errors.push(error) })
  await client.connect()
  await t.rejects(client.emitWithAck('slow', {}), { code: 'TIMEOUT' })
  fail(new Error('too late'))
  // Answers come back in order: the late INTERNAL error arrives before this ack.
  t.equal(await client.emitWithAck('fast', {}), 'fast')
  t.same(errors, [], 'the late error is not an error event')
})

t.test('pending requests reject with DISCONNECTED when the connection drops', async (t) => {
  const server = await startServer(t, { closeTimeout: 1_000 })
  server.app.realtime.on('slow', async () => await new Promise(() => {}))
  const client = newClient(t, { url: server.wsUrl, token: server.token(1), reconnect: false })
  await client.connect()
  const pending = client.emitWithAck('slow', {})
  await server.app.close()
  const error = await pending.catch((err: unknown) => err)
  t.match(error, { code: 'DISCONNECTED', close: { code: 1001, reason: 'server shutdown' } })
})

t.test('emit() is fire-and-forget: the handler runs, and a refusal arrives as an error event', async (t) => {
  const server = await startServer(t)
  const received = new Promise((resolve) => { server.app.realtime.on('typing', (data) => { resolve(data) }) })
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  t.equal(client.emit('typing', { room: 'a' }), true)
  t.same(await received, { room: 'a' })
  const refusal = nextEvent(client, 'error')
  client.emit('nobody-listens', {})
  t.match(await refusal, { code: 'NOT_FOUND' })
})

t.test('data JSON cannot carry is refused locally with a TypeError', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  t.throws(() => client.emit('x', { n: 1n }), TypeError)
  await t.rejects(client.emitWithAck('x', { n: 1n }), TypeError)
  t.ok(await client.ping() >= 0, 'the connection is unaffected')
})
