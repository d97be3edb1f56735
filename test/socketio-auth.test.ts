import { setTimeout as delay } from 'node:timers/promises'
import Fastify from 'fastify'
import t from 'tap'
import realtime from '../lib/index'
import { SECRET, startServer } from './helpers/app'
import { openSession, poll, post } from './helpers/engine-http'
import { ioConnect, ioRefused } from './helpers/socketio-client'

t.test('accepts the token from auth: { token }', async (t) => {
  const server = await startServer(t)
  const { welcome } = await ioConnect(t, server.httpUrl, { token: server.token(42) })
  t.match(welcome, { user: { sub: 42 }, rooms: ['user:42'] })
})

t.test('accepts the token from the Authorization header', async (t) => {
  const server = await startServer(t)
  const { welcome } = await ioConnect(t, server.httpUrl, { extraHeaders: { authorization: `Bearer ${server.token(42)}` } })
  t.match(welcome, { user: { sub: 42 } })
})

t.test('accepts the token from ?token=', async (t) => {
  const server = await startServer(t)
  const { welcome } = await ioConnect(t, server.httpUrl, { query: { token: server.token(42) } })
  t.match(welcome, { user: { sub: 42 } })
})

for (const transport of ['polling', 'websocket']) {
  t.test(`refuses a client without a token with connect_error UNAUTHORIZED (${transport})`, async (t) => {
    const server = await startServer(t)
    const err = await ioRefused(t, server.httpUrl, { transports: [transport] })
    t.equal(err.data?.code, 'UNAUTHORIZED')
    t.equal(await server.app.realtime.count(), 0)
  })

  t.test(`refuses a token signed with another secret (${transport})`, async (t) => {
    const server = await startServer(t)
    const forged = Fastify()
    await forged.register(realtime, { jwt: { secret: 'another-secret-that-is-long-enough-too' } })
    const err = await ioRefused(t, server.httpUrl, { token: forged.jwt.sign({ sub: 1 }, { expiresIn: '1h' }), transports: [transport] })
    t.equal(err.data?.code, 'UNAUTHORIZED')
    await forged.close()
  })

  t.test(`refuses an expired token with connect_error TOKEN_EXPIRED (${transport})`, async (t) => {
    const server = await startServer(t)
    const token = server.app.jwt.sign({ sub: 1, exp: Math.floor(Date.now() / 1000) - 10 })
    const err = await ioRefused(t, server.httpUrl, { token, transports: [transport] })
    t.equal(err.data?.code, 'TOKEN_EXPIRED')
  })
}

t.test('refuses a token without exp', async (t) => {
  const server = await startServer(t)
  const err = await ioRefused(t, server.httpUrl, { token: server.app.jwt.sign({ sub: 1 }) })
  t.equal(err.data?.code, 'UNAUTHORIZED')
})

t.test('connects token-less clients anonymously when auth is optional', async (t) => {
  const server = await startServer(t, { auth: { required: false } })
  const { welcome } = await ioConnect(t, server.httpUrl)
  t.same(welcome.user, null)
  t.same(welcome.rooms, [])
})

t.test('still refuses a bad token when auth is optional', async (t) => {
  const server = await startServer(t, { auth: { required: false } })
  t.equal((await ioRefused(t, server.httpUrl, { token: 'not-a-jwt' })).data?.code, 'UNAUTHORIZED')
})

t.test('a refused connection ends its engine.io session, so a retry needs a new (throttled) handshake', async (t) => {
  const server = await startServer(t)
  const { sid } = await openSession(server.httpUrl)
  t.equal((await post(server.httpUrl, sid, '40{"token":"bad"}')).status, 200)
  const packets: string[] = []
  let status = 200
  for (let polls = 0; polls < 10 && status === 200; polls++) {
    const answer = await poll(server.httpUrl, sid)
    status = answer.status
    if (status === 200) packets.push(...answer.body.split('\x1e'))
  }
  t.match(packets.find((packet) => packet.startsWith('44')), /"code":"UNAUTHORIZED"/, 'the connect_error reached the client')
  t.equal(status, 400, 'then the session was gone')
})

t.test('disconnects with disconnect_reason 4401 when the token expires', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.expiringToken('1'), transports: ['websocket'] })
  t.same(await client.next('disconnect_reason', 4_000), { code: 4401, reason: 'token expired' })
  t.equal(await client.disconnected, 'io server disconnect', 'a server-side disconnect: no automatic reconnection')
})

t.test('auth with a fresh token of the same user moves the expiry and the claims', async (t) => {
  const server = await startServer(t)
  const soon = Math.floor(Date.now() / 1000) + 2
  const { client } = await ioConnect(t, server.httpUrl, { token: server.app.jwt.sign({ sub: '1', exp: soon }) })
  server.app.realtime.on('me', (_data, client) => client.user?.exp)
  t.match(await client.request('auth', server.token('1')), { ok: true, expiresAt: Number })
  // Nothing announces that a close did not happen: wait out the old expiry (at most ~2 s), then ask.
  await delay(Math.max(0, (soon + 0.2) * 1000 - Date.now()))
  t.ok(Number(await client.request('me')) > soon, 'still connected after the old expiry, with the new claims')
})

t.test('auth with another user\'s token is FORBIDDEN and a bad one UNAUTHORIZED; nothing changes', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token('1') })
  t.match(await client.request('auth', server.token('2')), { ok: false, error: { code: 'FORBIDDEN' } })
  t.match(await client.request('auth', 'garbage'), { ok: false, error: { code: 'UNAUTHORIZED' } })
  t.match(await client.request('auth', 42), { ok: false, error: { code: 'BAD_REQUEST' } })
  t.same(await client.request('join', 'room:1'), { ok: true }, 'the connection stays open')
})

t.test('an async hook slower than one second cuts off neither transport', async (t) => {
  const app = Fastify()
  // Registered before the plugin, so it runs for the plugin's routes too.
  app.addHook('onRequest', async () => { await delay(1_100) })
  await app.register(realtime, { jwt: { secret: SECRET } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const baseUrl = `http://127.0.0.1:${address.port}`
  const token = app.jwt.sign({ sub: 1 }, { expiresIn: '1h' })
  const [websocketOnly, upgrading] = await Promise.all([
    ioConnect(t, baseUrl, { token, transports: ['websocket'] }),
    ioConnect(t, baseUrl, { token, timeout: 10_000 })
  ])
  t.equal(websocketOnly.client.transport, 'websocket')
  t.same(await upgrading.client.request('join', 'room:1'), { ok: true }, 'the polling session works through slow requests')
  t.equal(await app.realtime.count(), 2)
})
