import { Writable } from 'node:stream'
import t from 'tap'
import { startServer } from './helpers/app'
import { engineUrl, openSession, poll, post } from './helpers/engine-http'
import { ioConnect, ioRefused, ioServer } from './helpers/socketio-client'
import { connect, refused } from './helpers/ws-client'

const ALLOWED = 'https://app.example.com'
const EVIL = 'https://evil.example.com'

t.test('refuses a polling handshake from a disallowed Origin with 403', async (t) => {
  const server = await startServer(t, { allowedOrigins: [ALLOWED] })
  const response = await fetch(engineUrl(server.httpUrl, {}), { headers: { origin: EVIL } })
  t.equal(response.status, 403)
  t.match(await response.json(), { code: 'FORBIDDEN' })
  const err = await ioRefused(t, server.httpUrl, { token: server.token(1), transports: ['polling'], extraHeaders: { origin: EVIL } })
  t.match(err.message, /poll error/, 'socket.io-client cannot connect')
})

t.test('refuses a WebSocket handshake from a disallowed Origin with 403 before the upgrade', async (t) => {
  const server = await startServer(t, { allowedOrigins: [ALLOWED] })
  const wsUrl = engineUrl(server.httpUrl, { transport: 'websocket' }).replace('http:', 'ws:')
  const refusal = await refused(wsUrl, { origin: EVIL })
  t.equal(refusal.statusCode, 403)
  t.match(await refusal.body, { code: 'FORBIDDEN' })
  const err = await ioRefused(t, server.httpUrl, { token: server.token(1), transports: ['websocket'], extraHeaders: { origin: EVIL } })
  t.match(err.message, /websocket error/, 'socket.io-client cannot connect')
})

t.test('checks the Origin of every request of a session, not only the handshake', async (t) => {
  const server = await startServer(t, { allowedOrigins: [ALLOWED] })
  const { sid } = await openSession(server.httpUrl, { origin: ALLOWED })
  t.equal((await poll(server.httpUrl, sid, { origin: EVIL })).status, 403, 'a cross-site poll')
  t.equal((await post(server.httpUrl, sid, '40', { origin: EVIL })).status, 403, 'a cross-site post')
  const wsUrl = engineUrl(server.httpUrl, { transport: 'websocket', sid }).replace('http:', 'ws:')
  t.equal((await refused(wsUrl, { origin: EVIL })).statusCode, 403, 'a cross-site upgrade of the session')
})

t.test('accepts an allowed Origin over both transports', async (t) => {
  const server = await startServer(t, { allowedOrigins: [ALLOWED] })
  for (const transports of [['polling'], ['websocket']]) {
    const { welcome } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports, extraHeaders: { origin: ALLOWED } })
    t.same(welcome.rooms, ['user:1'])
  }
})

t.test('answers 429 with retry-after once an IP exceeds the handshake limit', async (t) => {
  const server = await startServer(t, { connectionRateLimit: { max: 2, timeWindow: 60_000 } })
  await openSession(server.httpUrl)
  await openSession(server.httpUrl)
  const response = await fetch(engineUrl(server.httpUrl, {}))
  t.equal(response.status, 429)
  t.ok(Number(response.headers.get('retry-after')) > 0, 'retry-after is set')
  t.match(await response.json(), { code: 'RATE_LIMITED' })
  t.match((await ioRefused(t, server.httpUrl, { token: server.token(1) })).message, /poll error/)
})

t.test('a connected polling client keeps working past the handshake limit', async (t) => {
  const server = await startServer(t, { connectionRateLimit: { max: 2, timeWindow: 60_000 } })
  server.app.realtime.on('echo', (data) => data)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['polling'] })
  for (let i = 0; i < 6; i++) t.equal(await client.request('echo', i), i, `round trip ${i} (a post and a poll)`)
  await ioConnect(t, server.httpUrl, { token: server.token(2), transports: ['polling'] })
  t.equal((await fetch(engineUrl(server.httpUrl, {}))).status, 429, 'a third handshake is over the limit')
  t.equal(await client.request('echo', 'still'), 'still', 'the connected client is unaffected')
})

t.test('a made-up sid does not dodge the handshake limit', async (t) => {
  const server = await startServer(t, { connectionRateLimit: { max: 2, timeWindow: 60_000 } })
  t.equal((await poll(server.httpUrl, 'made-up')).status, 400)
  t.equal((await poll(server.httpUrl, 'made-up-too')).status, 400)
  t.equal((await fetch(engineUrl(server.httpUrl, {}))).status, 429)
})

t.test('one handshake carries one connection: further CONNECT packets on its session are refused, and a flood of them ends it', async (t) => {
  const server = await startServer(t, { connectionRateLimit: { max: 1, timeWindow: 60_000 } })
  const { sid } = await openSession(server.httpUrl)
  const connects = 50
  t.equal((await post(server.httpUrl, sid, Array(connects).fill(`40{"token":"${server.token(1)}"}`).join('\x1e'))).status, 200)
  const answers: string[] = []
  for (let polls = 0; polls < 20; polls++) {
    const { status, body } = await poll(server.httpUrl, sid)
    if (status !== 200) break
    answers.push(...body.split('\x1e').filter((packet) => packet.startsWith('40') || packet.startsWith('44')))
    if (body.split('\x1e').includes('1')) break
  }
  t.ok(answers.filter((packet) => packet.startsWith('40')).length <= 1, 'at most one CONNECT accepted')
  t.equal(await server.app.realtime.count(), 0, 'no connection left in the hub: the session was ended')
  t.not((await poll(server.httpUrl, sid)).status, 200, 'the session is gone')
})

t.test('a CONNECT a middleware of the app refused may be tried again on the same session', async (t) => {
  const server = await startServer(t)
  let calls = 0
  ioServer(server.app).of('/').use((_socket, next) => { next(++calls === 1 ? new Error('not yet') : undefined) })
  const { sid } = await openSession(server.httpUrl)
  const connectPacket = `40{"token":"${server.token(1)}"}`
  const answer = async (): Promise<string> => {
    for (let polls = 0; polls < 10; polls++) {
      const packet = (await poll(server.httpUrl, sid)).body.split('\x1e').find((p) => p.startsWith('40') || p.startsWith('44'))
      if (packet !== undefined) return packet
    }
    throw new Error('no answer to the CONNECT')
  }
  await post(server.httpUrl, sid, connectPacket)
  t.match(await answer(), /^44\{"message":"not yet"/, 'the app refused the first')
  await post(server.httpUrl, sid, connectPacket)
  t.match(await answer(), /^40\{"sid"/, 'the second is accepted')
})

t.test('shares one per-IP budget with the ws endpoint', async (t) => {
  const server = await startServer(t, { connectionRateLimit: { max: 2, timeWindow: 60_000 } })
  ;(await connect(server.wsUrl, { token: server.token(1) })).client.close()
  await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  t.equal((await refused(server.wsUrl, { token: server.token(1) })).statusCode, 429)
})

t.test('never writes a ?token= value to any log line', async (t) => {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''))
      done()
    }
  })
  const server = await startServer(t, {}, { logger: { level: 'trace', stream } })
  const token = server.token('1')
  const { client } = await ioConnect(t, server.httpUrl, { query: { token }, transports: ['polling'] })
  t.same(await client.request('join', 'room:1'), { ok: true }, 'a few polls and posts, all carrying the token')
  client.close()
  await server.app.close()
  const [, payload, signature] = token.split('.')
  t.ok(lines.some((line) => line.includes('token=[REDACTED]')), 'the requests are logged, redacted')
  t.notOk(lines.some((line) => line.includes(signature) || line.includes(payload)), 'no line carries the token')
})

t.test('with socketio.cors, engine.io answers preflights, which do not count as handshakes', async (t) => {
  const server = await startServer(t, { allowedOrigins: [ALLOWED], connectionRateLimit: { max: 1, timeWindow: 60_000 }, socketio: { cors: { origin: ALLOWED } } })
  const preflight = await fetch(engineUrl(server.httpUrl, {}), {
    method: 'OPTIONS',
    headers: { origin: ALLOWED, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }
  })
  t.equal(preflight.status, 204)
  t.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED)
  const { sid } = await openSession(server.httpUrl, { origin: ALLOWED })
  t.ok(sid, 'the one handshake of the budget is still available')
})

t.test('methods engine.io does not serve get engine.io\'s own 400, not a 404', async (t) => {
  const server = await startServer(t)
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const response = await fetch(`${server.httpUrl}/socket.io/?EIO=4&transport=polling`, { method })
    t.equal(response.status, 400, method)
    t.same(await response.json(), { code: 2, message: 'Bad handshake method' })
  }
})
