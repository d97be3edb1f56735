import t from 'tap'
import { RealtimeError } from '../lib/index'
import { startServer } from './helpers/app'
import { ioConnect } from './helpers/socketio-client'

t.test('a client event reaches its realtime.on handler and the ack receives the return value', async (t) => {
  const server = await startServer(t)
  let seen: unknown
  server.app.realtime.on('order:create', async (data, client) => {
    seen = { data, user: client.user?.sub, transport: client.transport }
    return { id: 'o-1' }
  })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  t.same(await client.request('order:create', { item: 'book' }), { id: 'o-1' })
  t.same(seen, { data: { item: 'book' }, user: 5, transport: 'socketio' })
})

t.test('an event without an ack callback still runs its handler', async (t) => {
  const server = await startServer(t)
  const handled = new Promise((resolve) => server.app.realtime.on('typing', (data) => { resolve(data) }))
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  client.socket.emit('typing', { room: 'chat:1' })
  t.same(await handled, { room: 'chat:1' })
})

t.test('an event nobody handles is ignored, as Socket.IO does; one with an ack gets NOT_FOUND in it', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('echo', (data) => data)
  server.app.realtime.io?.on('connection', (socket) => { socket.on('own', (data: unknown, ack: (value: unknown) => void) => { ack(`own ${String(data)}`) }) })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  t.match(await client.request('nobody:listens', 1), { ok: false, error: { code: 'NOT_FOUND' } })
  client.socket.emit('nobody:listens', 2)
  t.equal(await client.request('echo', 'after'), 'after')
  t.notOk(client.pending().some(({ event }) => event === 'error'), 'no error event for an unhandled event')
  t.equal(await client.request('own', 3), 'own 3', 'a listener the app added through app.realtime.io counts as a handler')
})

t.test('a handler that throws is INTERNAL for that client only; a RealtimeError keeps its code', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('explode', () => { throw new Error('secret detail') })
  server.app.realtime.on('refuse', () => { throw new RealtimeError('FORBIDDEN', 'Not yours') })
  server.app.realtime.on('echo', (data) => data)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  const { client: other } = await ioConnect(t, server.httpUrl, { token: server.token(6) })
  t.same(await client.request('explode'), { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } }, 'no detail leaks')
  t.same(await client.request('refuse'), { ok: false, error: { code: 'FORBIDDEN', message: 'Not yours' } })
  t.equal(await client.request('echo', 'alive'), 'alive', 'the client is still connected')
  t.equal(await other.request('echo', 'fine'), 'fine', 'other clients are unaffected')
})

t.test('an ack value JSON cannot carry is INTERNAL', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('bigint', () => 10n)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  t.match(await client.request('bigint'), { ok: false, error: { code: 'INTERNAL' } })
})

t.test('an event name the ws protocol would refuse is BAD_REQUEST', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  t.match(await client.request('x'.repeat(101)), { ok: false, error: { code: 'BAD_REQUEST' } })
  t.match(await client.request('bad\u0000name'), { ok: false, error: { code: 'BAD_REQUEST' } })
})

t.test('an event named like a Socket.IO reserved one is refused without harming the server', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('echo', (data) => data)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  client.socket.emit('error', 'boom')
  t.match(await client.request('error', 'boom'), { ok: false, error: { code: 'NOT_FOUND' } })
  t.equal(await client.request('echo', 'ok'), 'ok')
})

t.test('over messageRateLimit a request is refused RATE_LIMITED and dropped', async (t) => {
  const server = await startServer(t, { messageRateLimit: { max: 3, timeWindow: 60_000 } })
  let handled = 0
  server.app.realtime.on('count', () => ++handled)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  const answers = await Promise.all([1, 2, 3, 4].map(async () => await client.request('count')))
  t.same(answers.slice(0, 3), [1, 2, 3])
  t.match(answers[3], { ok: false, error: { code: 'RATE_LIMITED' } })
  t.equal(handled, 3)
  t.equal(client.socket.connected, true, 'the connection stays')
})

t.test('sustained flooding closes the connection with disconnect_reason 4429', async (t) => {
  const server = await startServer(t, { messageRateLimit: { max: 2, timeWindow: 60_000 } })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5), transports: ['websocket'] })
  for (let i = 0; i < 10; i++) client.socket.emit('flood', i)
  t.same(await client.next('disconnect_reason'), { code: 4429, reason: 'message rate limit exceeded repeatedly' })
  t.equal(await client.disconnected, 'io server disconnect')
})

t.test('repeated malformed requests close the connection with disconnect_reason 4400', async (t) => {
  const server = await startServer(t, { maxBadFrames: 2 })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(5) })
  for (let i = 0; i < 4; i++) client.socket.emit('join', '')
  t.same(await client.next('disconnect_reason'), { code: 4400, reason: 'too many malformed requests' })
  t.equal(await client.disconnected, 'io server disconnect')
})
