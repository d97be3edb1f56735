import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import realtime, { type RealtimeOptions } from '../lib/index'
import { SECRET, startServer } from './helpers/app'
import { newClient, nextEvent, recordEvents } from './helpers/realtime-client'
import { waitFor } from './helpers/wait-for'

const FAST_RECONNECT = { initialDelay: 20, maxDelay: 100 }

/** A fresh app on a given port: the same server restarted (same JWT secret, so old tokens still verify). */
async function restartOn (t: Test, port: number, options: RealtimeOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(realtime, { jwt: { secret: SECRET }, ...options })
  await app.listen({ host: '127.0.0.1', port })
  t.teardown(() => app.close())
  return app
}

t.test('after a server restart the client reconnects, re-joins its rooms and receives events again', async (t) => {
  const first = await startServer(t)
  let tokensIssued = 0
  const client = newClient(t, { url: first.wsUrl, token: () => { tokensIssued++; return first.token(3) }, reconnect: FAST_RECONNECT })
  const firstWelcome = await client.connect()
  await client.join('news')
  await client.join('sports')

  const disconnected = nextEvent(client, 'disconnect')
  const reconnected = nextEvent(client, 'reconnect')
  await first.app.close()
  t.same(await disconnected, { code: 1001, reason: 'server shutdown', willReconnect: true })
  t.equal(client.connected, false)

  const second = await restartOn(t, first.port)
  const reconnect = await reconnected
  t.same(reconnect.rejoined.sort(), ['news', 'sports'])
  t.same(reconnect.failed, [])
  t.ok(reconnect.attempts >= 1)
  t.equal(client.connected, true)
  t.not(client.connectionId, firstWelcome.connectionId, 'a new connection')
  t.equal(tokensIssued, 1 + reconnect.attempts, 'the token provider is asked again for every attempt')
  t.equal(await second.realtime.roomSize('news'), 1)
  t.equal(await second.realtime.roomSize('sports'), 1)

  const headline = nextEvent(client, 'headline')
  await second.realtime.to('news').emit('headline', { title: 'Back online' })
  t.same(await headline, { data: { title: 'Back online' }, room: 'news' })
  second.realtime.on('echo', (data) => data)
  t.equal(await client.emitWithAck('echo', 'hello'), 'hello', 'requests work on the new connection')
})

t.test('a room the restarted server refuses is reported in the reconnect event and forgotten', async (t) => {
  const first = await startServer(t)
  const client = newClient(t, { url: first.wsUrl, token: first.token(3), reconnect: FAST_RECONNECT })
  await client.connect()
  await client.join('public:lobby')
  await client.join('vip')
  const reconnected = nextEvent(client, 'reconnect')
  await first.app.close()
  await restartOn(t, first.port, { canJoin: (_user, room) => room.startsWith('public:') })
  const reconnect = await reconnected
  t.same(reconnect.rejoined, ['public:lobby'])
  t.match(reconnect.failed, [{ room: 'vip', error: { code: 'FORBIDDEN' }, forgotten: true }])
  t.same(client.rooms, ['public:lobby'])
})

t.test('re-joins that time out behind a slow canJoin are reported but kept: the server still joins them', async (t) => {
  const first = await startServer(t)
  const client = newClient(t, { url: first.wsUrl, token: first.token(3), reconnect: FAST_RECONNECT, ackTimeout: 300 })
  await client.connect()
  const rooms = Array.from({ length: 10 }, (_, i) => `desk:${i}`)
  for (const room of rooms) await client.join(room)
  const reconnected = nextEvent(client, 'reconnect')
  await first.app.close()
  // The server decides one join at a time: the later re-joins wait longer than ackTimeout.
  const second = await restartOn(t, first.port, { canJoin: async () => await new Promise((resolve) => setTimeout(() => resolve(true), 100)) })
  const { failed } = await reconnected
  t.ok(failed.length >= 5, `${failed.length} re-joins timed out`)
  t.ok(failed.every(({ error, forgotten }) => error.code === 'TIMEOUT' && !forgotten), 'each as TIMEOUT, none forgotten')
  t.same(client.rooms.sort(), rooms, 'the client still remembers every room')
  await waitFor(async () => (await Promise.all(rooms.map(async (room) => await second.realtime.roomSize(room)))).every((size) => size === 1))
  t.pass('the server joined every room in the end')
})

t.test('a room left while disconnected is not re-joined', async (t) => {
  const first = await startServer(t)
  const client = newClient(t, { url: first.wsUrl, token: first.token(3), reconnect: FAST_RECONNECT })
  await client.connect()
  await client.join('a')
  await client.join('b')
  const disconnected = nextEvent(client, 'disconnect')
  const reconnected = nextEvent(client, 'reconnect')
  await first.app.close()
  await disconnected
  await client.leave('b')
  t.same(client.rooms, ['a'], 'leave() resolves at once while disconnected')
  const second = await restartOn(t, first.port)
  t.same((await reconnected).rejoined, ['a'])
  t.equal(await second.realtime.roomSize('b'), 0)
})

t.test('rooms the server joins the client to on connect are not joined again', async (t) => {
  const first = await startServer(t, { autoJoin: () => ['org:1'] })
  const client = newClient(t, { url: first.wsUrl, token: first.token(3), reconnect: FAST_RECONNECT })
  await client.connect()
  await client.join('org:1')
  const reconnected = nextEvent(client, 'reconnect')
  await first.app.close()
  const second = await restartOn(t, first.port, { autoJoin: () => ['org:1'], maxRoomsPerConnection: 2 })
  t.same((await reconnected).rejoined, ['org:1'])
  t.equal(await second.realtime.roomSize('org:1'), 1)
})

t.test('repeated malformed frames (4400) end the connection for good', async (t) => {
  const server = await startServer(t, { maxBadFrames: 1 })
  const client = newClient(t, { url: server.wsUrl, token: server.token(1), reconnect: FAST_RECONNECT })
  const events = recordEvents(client, ['disconnect', 'reconnecting', 'reconnect_failed'])
  await client.connect()
  await t.rejects(client.join(''), { code: 'BAD_REQUEST' })
  const disconnected = nextEvent(client, 'disconnect')
  await t.rejects(client.join(''), { code: 'DISCONNECTED', close: { code: 4400 } })
  await disconnected
  t.same(events, [['disconnect', { code: 4400, reason: 'too many malformed frames', willReconnect: false }]])
  t.equal(client.connected, false)
})

t.test('a server-side disconnect (1000) ends the connection for good', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('kick-me', (_data, connection) => { connection.disconnect() })
  const client = newClient(t, { url: server.wsUrl, token: server.token(1), reconnect: FAST_RECONNECT })
  const events = recordEvents(client, ['disconnect', 'reconnecting'])
  await client.connect()
  const disconnected = nextEvent(client, 'disconnect')
  client.emit('kick-me')
  await disconnected
  t.same(events, [['disconnect', { code: 1000, reason: 'disconnected by server', willReconnect: false }]])
})

t.test('an expired fixed token (4401) ends the connection for good', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.expiringToken(1), reconnect: FAST_RECONNECT })
  const events = recordEvents(client, ['disconnect', 'reconnecting'])
  await client.connect()
  await nextEvent(client, 'disconnect', 5_000)
  t.same(events, [['disconnect', { code: 4401, reason: 'token expired', willReconnect: false }]])
})

t.test('after a 4401 the client reconnects when the token provider yields a new token', async (t) => {
  const server = await startServer(t)
  const tokens = [server.expiringToken(1), server.token(1)]
  const client = newClient(t, { url: server.wsUrl, token: () => tokens.shift() ?? 'no more tokens', reconnect: FAST_RECONNECT })
  await client.connect()
  await client.join('desk')
  const disconnected = nextEvent(client, 'disconnect', 5_000)
  const reconnected = nextEvent(client, 'reconnect', 5_000)
  t.match(await disconnected, { code: 4401, willReconnect: true })
  t.same((await reconnected).rejoined, ['desk'])
  t.equal(tokens.length, 0, 'the provider was asked for the new token')
})

t.test('after a 4401 the client gives up when the token provider yields the refused token again', async (t) => {
  const server = await startServer(t)
  const shortLived = server.expiringToken(1)
  const client = newClient(t, { url: server.wsUrl, token: () => shortLived, reconnect: FAST_RECONNECT })
  await client.connect()
  const gaveUp = nextEvent(client, 'reconnect_failed', 5_000)
  t.match(await gaveUp, { attempts: 1, code: 4401, reason: 'the token provider gave the token the server refused' })
  t.equal(client.connected, false)
})

t.test('a failing token provider is reported and the attempt retried', async (t) => {
  const server = await startServer(t)
  let calls = 0
  const client = newClient(t, {
    url: server.wsUrl,
    token: async () => { if (++calls === 1) throw new Error('refresh endpoint down'); return server.token(1) },
    reconnect: FAST_RECONNECT
  })
  const reported = nextEvent(client, 'error')
  const retrying = nextEvent(client, 'reconnecting')
  const welcome = await client.connect()
  t.match(await reported, { code: 'TOKEN_UNAVAILABLE', message: /refresh endpoint down/ })
  t.match(await retrying, { attempt: 1, code: 1006, reason: 'the token provider failed' })
  t.equal(welcome.user?.sub, 1)
})

t.test('a token provider that never answers fails each attempt after connectTimeout, then the client gives up', async (t) => {
  const client = newClient(t, {
    url: 'ws://127.0.0.1:1/ws',
    token: async () => await new Promise<string>(() => {}),
    connectTimeout: 100,
    reconnect: { initialDelay: 10, maxDelay: 10, maxAttempts: 2 }
  })
  const errors = recordEvents(client, ['error'])
  const gaveUp = nextEvent(client, 'reconnect_failed')
  await t.rejects(client.connect(), { code: 'DISCONNECTED' })
  t.match(await gaveUp, { attempts: 2, code: 1006, reason: 'the token provider failed' })
  t.match(errors.map(([, error]) => error), [{ code: 'TOKEN_UNAVAILABLE', message: /did not answer within 100 ms/ }, { code: 'TOKEN_UNAVAILABLE' }, { code: 'TOKEN_UNAVAILABLE' }])
})

t.test('a reconnect whose token the WebSocket constructor refuses stops with reconnect_failed and an INVALID_OPTION error', async (t) => {
  const server = await startServer(t)
  let calls = 0
  const client = newClient(t, { url: server.wsUrl, token: () => ++calls === 1 ? server.token(1) : `${server.token(1)}\n`, reconnect: FAST_RECONNECT })
  await client.connect()
  const reported = nextEvent(client, 'error')
  const gaveUp = nextEvent(client, 'reconnect_failed')
  await server.app.close()
  t.match(await reported, { code: 'INVALID_OPTION', message: /WebSocket constructor refused/ })
  t.match(await gaveUp, { attempts: 1, code: 1006 })
  t.equal(client.connected, false)
})

t.test('a disconnect listener may connect() again after a close the client does not retry', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('kick-me', (_data, connection) => { connection.disconnect() })
  const client = newClient(t, { url: server.wsUrl, token: server.token(1), reconnect: FAST_RECONNECT })
  const first = await client.connect()
  const again = new Promise<unknown>((resolve) => {
    const reconnectOnce = ({ willReconnect }: { willReconnect: boolean }): void => {
      client.off('disconnect', reconnectOnce)
      if (!willReconnect) resolve(client.connect())
    }
    client.on('disconnect', reconnectOnce)
  })
  client.emit('kick-me')
  t.match(await again, { user: { sub: 1 } })
  t.not(client.connectionId, first.connectionId, 'a new connection')
})
