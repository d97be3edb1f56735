import t from 'tap'
import { redactTokenFromUrl } from '../lib/index'
import { startServer } from './helpers/app'
import { captureLogs } from './helpers/log-capture'
import { connect, refused } from './helpers/ws-client'

t.test('answers 429 with retry-after once an IP exceeds the handshake limit, before any upgrade', async (t) => {
  const server = await startServer(t, { connectionRateLimit: { max: 3, timeWindow: 60_000 } })
  const token = server.token('1')
  for (let i = 0; i < 3; i++) (await connect(server.wsUrl, { token })).client.close()
  const refusal = await refused(server.wsUrl, { token })
  t.equal(refusal.statusCode, 429)
  t.ok(Number(refusal.headers['retry-after']) > 0, 'retry-after is set')
  t.match(await refusal.body, { code: 'RATE_LIMITED' })
})

t.test('counts handshakes that fail authentication', async (t) => {
  const server = await startServer(t, { connectionRateLimit: { max: 2, timeWindow: 60_000 } })
  t.equal((await refused(server.wsUrl, { token: 'bad' })).statusCode, 401)
  t.equal((await refused(server.wsUrl, { token: 'bad' })).statusCode, 401)
  t.equal((await refused(server.wsUrl, { token: server.token('1') })).statusCode, 429, 'a valid token is throttled after failed attempts')
})

t.test('ignores a spoofed X-Forwarded-For when trustProxy is off', async (t) => {
  const server = await startServer(t, { connectionRateLimit: { max: 1, timeWindow: 60_000 } })
  const token = server.token('1')
  ;(await connect(server.wsUrl, { token, headers: { 'x-forwarded-for': '10.0.0.1' } })).client.close()
  const refusal = await refused(server.wsUrl, { token, headers: { 'x-forwarded-for': '10.0.0.2' } })
  t.equal(refusal.statusCode, 429, 'still limited by the socket address')
})

t.test('refuses a disallowed Origin with 403 before the upgrade', async (t) => {
  const server = await startServer(t, { allowedOrigins: ['https://app.example.com'] })
  const token = server.token('1')
  const refusal = await refused(server.wsUrl, { token, origin: 'https://evil.example.com' })
  t.equal(refusal.statusCode, 403)
  t.match(await refusal.body, { code: 'FORBIDDEN' })
  const allowed = await connect(server.wsUrl, { token, origin: 'https://app.example.com' })
  allowed.client.close()
})

t.test('accepts an origin predicate', async (t) => {
  const server = await startServer(t, { allowedOrigins: (origin) => origin.endsWith('.example.com') })
  const token = server.token('1')
  t.equal((await refused(server.wsUrl, { token, origin: 'https://example.org' })).statusCode, 403)
  ;(await connect(server.wsUrl, { token, origin: 'https://a.example.com' })).client.close()
})

t.test('answers a plain GET on the endpoint with 426 Upgrade Required', async (t) => {
  const server = await startServer(t)
  const response = await fetch(`${server.httpUrl}/ws`, { headers: { authorization: `Bearer ${server.token('1')}` } })
  t.equal(response.status, 426)
  t.match(await response.json(), { code: 'BAD_REQUEST' })
})

t.test('never writes a ?token= value to any log line', async (t) => {
  const logs = captureLogs()
  const server = await startServer(t, {}, { logger: { level: 'trace', stream: logs.stream } })
  const token = server.token('1')
  const { client } = await connect(`${server.wsUrl}?token=${token}`)
  client.send('not json')
  await client.next('error')
  client.close()
  await client.closed
  await refused(`${server.wsUrl}?token=${token}x`)
  // Names other parsers read as `token` (query parsers decode names; some compare them without
  // case): refused as ambiguous, and kept out of the log all the same.
  const encoded = server.token('2')
  for (const name of ['%74oken', 'TOKEN', 'to%6Ben']) {
    t.equal((await refused(`${server.wsUrl}?a=1&${name}=${encoded}`)).statusCode, 401, name)
  }
  await server.app.close()
  const [, payload, signature] = token.split('.')
  t.ok(logs.lines.some((line) => line.includes('token=[REDACTED]')), 'the request line is logged, redacted')
  t.notOk(logs.lines.some((line) => line.includes(signature) || line.includes(payload)), 'no line carries the token')
  t.notOk(logs.lines.some((line) => line.includes(encoded.split('.')[2])), 'nor one written with an encoded name')
})

t.test('redactTokenFromUrl hides every token parameter, however its name is written, and leaves the rest', async (t) => {
  t.equal(redactTokenFromUrl('/ws?token=abc&room=1#top'), '/ws?token=[REDACTED]&room=1#top')
  t.equal(redactTokenFromUrl('/ws?%74oken=abc&To%6Ben=def'), '/ws?%74oken=[REDACTED]&To%6Ben=[REDACTED]')
  t.equal(redactTokenFromUrl('/ws?token%zz=abc'), '/ws?token%zz=[REDACTED]', 'an undecodable name, to be safe')
  t.equal(redactTokenFromUrl('/ws?mytoken=1&token2=2'), '/ws?mytoken=1&token2=2')
  t.equal(redactTokenFromUrl('/ws'), '/ws')
  t.equal(redactTokenFromUrl('/ws?x=#&token=abc'), '/ws?x=#&token=[REDACTED]', 'past a # inside the query, where the router keeps reading')
  t.equal(redactTokenFromUrl('/ws#&token=abc'), '/ws#&token=[REDACTED]', 'a query the router starts at #')
  t.equal(redactTokenFromUrl('/ws;a=1?token=abc&b=2'), '/ws;a=1?token=[REDACTED]&b=2')
  t.equal(redactTokenFromUrl('/ws?token=a#b;c&d=1'), '/ws?token=[REDACTED]&d=1', 'a value runs to the next &')
})

t.test('keeps the endpoint on a custom path', async (t) => {
  const server = await startServer(t, { ws: { path: '/realtime' } })
  t.match(server.wsUrl, /\/realtime$/)
  ;(await connect(server.wsUrl, { token: server.token('1') })).client.close()
})

t.test('a handshake survives an app hook slower than one second', async (t) => {
  const server = await startServer(t, {}, {}, (app) => {
    app.addHook('onRequest', async () => { await new Promise((resolve) => setTimeout(resolve, 1_200)) })
  })
  const { client, welcome } = await connect(server.wsUrl, { token: server.token('1') })
  t.same(welcome.rooms, ['user:1'])
  client.close()
})
