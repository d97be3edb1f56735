import t, { type Test } from 'tap'
import { startServer, type TestServer } from './helpers/app'
import { RawSocket } from './helpers/raw-socket'
import { connect } from './helpers/ws-client'

async function rawClient (server: TestServer): Promise<RawSocket> {
  const { raw, status } = await RawSocket.upgrade(server.port, '/ws', [`Authorization: Bearer ${server.token(1)}`])
  if (status !== 101) throw new Error(`upgrade refused with ${status}`)
  return raw
}

/** The bystander proves the process is alive and other clients are unaffected. */
async function bystanderStillServed (t: Test, server: TestServer): Promise<void> {
  const { client } = await connect(server.wsUrl, { token: server.token('bystander') })
  t.match(await client.request({ type: 'ping' }), { type: 'pong' }, 'a bystander is served')
  client.close()
}

// Protocol violations ws itself detects: each closes that connection with the code RFC 6455 gives.
const violations: Array<{ name: string, send: (raw: RawSocket) => void, code: number }> = [
  { name: 'invalid UTF-8 in a text frame closes with 1007', send: (raw) => raw.sendFrame(0x1, Buffer.from([0xc3, 0x28])), code: 1007 },
  { name: 'an unmasked client frame closes with 1002', send: (raw) => raw.sendFrame(0x1, Buffer.from('{"type":"ping"}'), { mask: false }), code: 1002 },
  { name: 'a reserved opcode closes with 1002', send: (raw) => raw.sendFrame(0x3, Buffer.from('x')), code: 1002 },
  // 999 is not a valid close code.
  { name: 'an invalid close code closes with 1002', send: (raw) => raw.sendFrame(0x8, Buffer.from([0x03, 0xe7])), code: 1002 }
]

for (const { name, send, code } of violations) {
  t.test(name, async (t) => {
    const server = await startServer(t)
    const raw = await rawClient(server)
    send(raw)
    t.equal(await raw.closeCode(), code)
    await bystanderStillServed(t, server)
  })
}

t.test('a flood of tiny fragments closes with 1008', async (t) => {
  const server = await startServer(t)
  const raw = await rawClient(server)
  raw.sendFrame(0x1, Buffer.from('{'), { fin: false })
  for (let i = 0; i < 200; i++) raw.sendFrame(0x0, Buffer.from(' '), { fin: false })
  t.equal(await raw.closeCode(), 1008)
  await bystanderStillServed(t, server)
})

t.test('2,000 request headers are refused quickly and the process stays up', async (t) => {
  const server = await startServer(t)
  const headers = Array.from({ length: 2000 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(10)}`)
  const { status } = await RawSocket.upgrade(server.port, '/ws', headers)
  t.equal(status, 431)
  await bystanderStillServed(t, server)
})

t.test('a huge Sec-WebSocket-Protocol header is refused and the process stays up', async (t) => {
  const server = await startServer(t)
  const { status } = await RawSocket.upgrade(server.port, '/ws', [`Sec-WebSocket-Protocol: realtime.v1, ${'p'.repeat(64 * 1024)}`])
  t.equal(status, 431)
  await bystanderStillServed(t, server)
})

t.test('an auth frame with a fresh token of the same user extends the session past the old expiry', async (t) => {
  const server = await startServer(t)
  const soon = Math.floor(Date.now() / 1000) + 2
  const { client } = await connect(server.wsUrl, { token: server.app.jwt.sign({ sub: '1', exp: soon }) })
  const fresh = server.token('1')
  t.match(await client.request({ type: 'auth', token: fresh }), { type: 'ack', data: { expiresAt: Number } })
  server.app.realtime.on('me', (_data, client) => client.user?.exp)
  // Nothing announces that a close did not happen: wait out the old expiry (at most ~2 s), then ask.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, (soon + 0.2) * 1000 - Date.now())))
  t.match(await client.request({ type: 'emit', event: 'me' }), { type: 'ack', data: Number }, 'still connected after the old expiry, with the new claims')
  client.close()
})

t.test('an auth frame with another user’s token is FORBIDDEN and changes nothing', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token('1') })
  t.match(await client.request({ type: 'auth', token: server.token('2') }), { type: 'error', code: 'FORBIDDEN' })
  t.match(await client.request({ type: 'auth', token: 'garbage' }), { type: 'error', code: 'UNAUTHORIZED' })
  t.match(await client.request({ type: 'ping' }), { type: 'pong' }, 'the connection stays open')
  client.close()
})
