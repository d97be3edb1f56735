import t from 'tap'
import { startServer } from './helpers/app'
import { connect } from './helpers/ws-client'

t.test('answers frames over messageRateLimit with RATE_LIMITED, drops them, and keeps the connection', async (t) => {
  const server = await startServer(t, { messageRateLimit: { max: 3, timeWindow: 60_000 } })
  const handled: unknown[] = []
  server.app.realtime.on('tick', (data) => { handled.push(data) })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  for (let i = 0; i < 5; i++) client.send({ type: 'emit', event: 'tick', data: i, id: `t${i}` })
  t.same(await client.next('error'), { type: 'error', id: 't3', code: 'RATE_LIMITED', message: 'Message rate limit exceeded; frame dropped' })
  t.match(await client.next('error'), { id: 't4', code: 'RATE_LIMITED' })
  t.same(handled, [0, 1, 2], 'only the frames within the limit reached the handler')
  t.equal(client.ws.readyState, client.ws.OPEN)
  client.close()
})

t.test('closes with 4429 when flooding goes on past twice the limit', async (t) => {
  const server = await startServer(t, { messageRateLimit: { max: 3, timeWindow: 60_000 } })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  for (let i = 0; i < 10; i++) client.send({ type: 'ping' })
  t.match(await client.closed, { code: 4429 })
})

t.test('a flooding client does not slow down or affect a bystander', async (t) => {
  const server = await startServer(t, { messageRateLimit: { max: 3, timeWindow: 60_000 } })
  const flooder = await connect(server.wsUrl, { token: server.token(1) })
  const bystander = await connect(server.wsUrl, { token: server.token(2) })
  for (let i = 0; i < 10; i++) flooder.client.send('garbage')
  await flooder.client.closed
  for (let i = 0; i < 3; i++) t.match(await bystander.client.request({ type: 'ping' }), { type: 'pong' })
  bystander.client.close()
})

t.test('closes with 1009 when a frame exceeds maxPayload', async (t) => {
  const server = await startServer(t, { maxPayload: 1024 })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  client.send({ type: 'emit', event: 'big', data: 'x'.repeat(2048) })
  t.match(await client.closed, { code: 1009 })
})

t.test('closes a client that stops reading with 4408 once its outbound buffer passes maxBufferedBytes', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: 256 * 1024 })
  const reader = await connect(server.wsUrl, { token: server.token(2) })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  const rawSocket = (client.ws as unknown as { _socket: { pause: () => void } })._socket
  rawSocket.pause()
  const chunk = 'x'.repeat(64 * 1024)
  // Bounded: at most 64 MiB offered; the cap must trip long before.
  for (let i = 0; i < 1024 && server.app.realtime.stats().slowConsumerDisconnects === 0; i++) {
    await server.app.realtime.emit('bulk', chunk)
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 1, 'counted')
  t.equal(await server.app.realtime.count(), 1, 'the slow consumer is gone from the hub')
  await server.app.realtime.emit('after')
  t.match(await reader.client.nextWhere((frame) => frame.type === 'event' && frame.event === 'after', 10_000), { event: 'after' }, 'the reading client still receives')
  client.ws.terminate()
  reader.client.close()
})
