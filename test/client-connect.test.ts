import t from 'tap'
import WebSocket from 'ws'
import { createClient, RealtimeClientError } from '../lib/client'
import { startServer } from './helpers/app'
import { newClient, nextEvent, recordEvents } from './helpers/realtime-client'

t.test('connect() resolves with the welcome payload and the client emits welcome', async (t) => {
  const server = await startServer(t, { autoJoin: () => ['lobby'] })
  const client = newClient(t, { url: server.wsUrl, token: server.token(42) })
  const welcomeEvent = nextEvent(client, 'welcome')
  const welcome = await client.connect()
  t.match(welcome, { user: { sub: 42 }, rooms: ['user:42', 'lobby'] })
  t.type(welcome.connectionId, 'string')
  t.same(await welcomeEvent, welcome)
  t.equal(client.connected, true)
  t.equal(client.connectionId, welcome.connectionId)
  t.same(await client.connect(), welcome, 'connect() when connected resolves with the same welcome')
})

t.test('the token travels as the bearer subprotocol and a provider is asked for it on connect', async (t) => {
  const server = await startServer(t)
  let asked = 0
  const client = newClient(t, { url: server.wsUrl, token: async () => { asked++; return server.token('ada') } })
  const welcome = await client.connect()
  t.equal(welcome.user?.sub, 'ada')
  t.equal(asked, 1)
})

t.test('without a token the client connects anonymously when the server allows it', async (t) => {
  const server = await startServer(t, { auth: { required: false } })
  const client = newClient(t, { url: server.wsUrl })
  const welcome = await client.connect()
  t.equal(welcome.user, null)
  t.same(welcome.rooms, [])
})

t.test('connect() rejects with DISCONNECTED when the handshake is refused and reconnect is off', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, reconnect: false })
  const error = await client.connect().catch((err: unknown) => err)
  t.type(error, RealtimeClientError)
  t.match(error, { code: 'DISCONNECTED', close: { code: 1006 } })
  t.equal(client.connected, false)
})

t.test('ping() resolves with the round trip in milliseconds', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await client.connect()
  const roundTrip = await client.ping()
  t.type(roundTrip, 'number')
  t.ok(roundTrip >= 0)
})

t.test('requests made while not connected reject at once with DISCONNECTED and emit() returns false', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  await t.rejects(client.join('a'), { code: 'DISCONNECTED' })
  await t.rejects(client.emitWithAck('hello', {}), { code: 'DISCONNECTED' })
  await t.rejects(client.ping(), { code: 'DISCONNECTED' })
  t.equal(client.emit('hello', {}), false)
})

t.test('close() disconnects with 1000, emits disconnect once and does not reconnect', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('slow', async () => await new Promise(() => {}))
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  const events = recordEvents(client, ['disconnect', 'reconnecting'])
  await client.connect()
  const pending = client.emitWithAck('slow', {})
  client.close()
  await t.rejects(pending, { code: 'DISCONNECTED' }, 'pending requests are rejected')
  t.same(events, [['disconnect', { code: 1000, reason: 'client closed', willReconnect: false }]])
  t.equal(client.connected, false)
})

t.test('close() while connecting rejects connect()', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(1) })
  const connecting = client.connect()
  client.close()
  await t.rejects(connecting, { code: 'DISCONNECTED' })
})

t.test('createClient refuses bad options with INVALID_OPTION', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['url', { url: 'http://127.0.0.1/ws' }],
    ['token', { token: 42 }],
    ['ackTimeout', { ackTimeout: 0 }],
    ['connectTimeout', { connectTimeout: 2 ** 31 }],
    ['reconnect.maxDelay', { reconnect: { initialDelay: 1_000, maxDelay: 10 } }],
    ['reconnect.maxAttempts', { reconnect: { maxAttempts: -1 } }]
  ]
  for (const [option, overrides] of cases) {
    t.throws(() => createClient({ url: 'ws://127.0.0.1/ws', WebSocket, ...overrides } as never), { code: 'INVALID_OPTION', message: new RegExp(`"${option.replace('.', '\\.')}"`) }, option)
  }
})

t.test('createClient without a WebSocket option needs a global WebSocket', async (t) => {
  const hasGlobal = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function'
  if (hasGlobal) {
    t.doesNotThrow(() => createClient({ url: 'ws://127.0.0.1/ws' }))
  } else {
    t.throws(() => createClient({ url: 'ws://127.0.0.1/ws' }), { code: 'INVALID_OPTION', message: /"WebSocket"/ })
  }
})
