import t, { type Test } from 'tap'
import { startServer, type TestServer } from './helpers/app'
import { openSession, poll, post } from './helpers/engine-http'
import { ioConnect } from './helpers/socketio-client'
import { engineSession, sessionClosed } from './helpers/socketio-flood'

/** A raw polling session connected to the realtime namespace; resolves once the hub has it. */
async function rawConnection (t: Test, server: TestServer, token: string, userId: number): Promise<string> {
  const { sid } = await openSession(server.httpUrl)
  await post(server.httpUrl, sid, `40{"token":"${token}"}`)
  // Bounded: the CONNECT answer and the welcome come within a few polls.
  let received = ''
  for (let i = 0; i < 10 && !received.includes('"welcome"'); i++) received += (await poll(server.httpUrl, sid)).body
  t.match(received, /"welcome"/, 'connected and welcomed')
  t.ok(await server.app.realtime.isUserConnected(userId))
  return sid
}

const closers: Record<string, (server: TestServer) => Promise<unknown>> = {
  disconnectUser: async (server) => await server.app.realtime.disconnectUser(1),
  'disconnect()': async (server) => { await server.app.realtime.toUser(1).disconnect() }
}

for (const [how, close] of Object.entries(closers)) {
  t.test(`after ${how}, a client that never polls is gone, and its session neither handles nor reconnects anything`, async (t) => {
    const server = await startServer(t)
    let handled = 0
    server.app.realtime.on('echo', () => { handled++ })
    const sid = await rawConnection(t, server, server.token(1), 1)
    await close(server)
    t.equal(await server.app.realtime.count(), 0, 'counted as gone at once')
    t.equal(await server.app.realtime.roomSize('user:1'), 0)
    // It keeps sending: events, and a CONNECT to start over on the same session.
    const sent = await post(server.httpUrl, sid, `42["echo"]\x1e40{"token":"${server.token(1)}"}`)
    t.ok(sent.status === 200 || sent.status === 400, `the POST was answered (${sent.status})`)
    await sessionClosed(server.app, sid, 3_000)
    t.equal(engineSession(server.app, sid), undefined, 'the session ended without the client polling')
    t.equal(handled, 0, 'nothing it sent was handled')
    t.equal(await server.app.realtime.count(), 0, 'and it did not connect again')
  })
}

t.test('a token that expires ends a client that never polls, and what it sends after is not handled', async (t) => {
  const server = await startServer(t)
  let handled = 0
  server.app.realtime.on('echo', () => { handled++ })
  const sid = await rawConnection(t, server, server.expiringToken(1, 2), 1)
  await sessionClosed(server.app, sid, 5_000)
  t.equal(await server.app.realtime.count(), 0)
  const late = await post(server.httpUrl, sid, `42["echo"]\x1e40{"token":"${server.token(1)}"}`)
  t.equal(late.status, 400, 'the session is unknown')
  t.equal(handled, 0)
  t.equal(await server.app.realtime.count(), 0)
})

t.test('a socket.io-client that keeps emitting after its disconnect_reason gets nothing handled', async (t) => {
  const server = await startServer(t)
  let handled = 0
  server.app.realtime.on('echo', () => { handled++ })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  // Emits from the moment the reason arrives, before socket.io-client has read the DISCONNECT.
  client.socket.on('disconnect_reason', () => { for (let i = 0; i < 5; i++) client.socket.emit('echo', i) })
  await server.app.realtime.disconnectUser(1)
  t.equal(await client.disconnected, 'io server disconnect')
  t.equal(handled, 0)
  t.equal(await server.app.realtime.count(), 0)
})

t.test('requests waiting behind a hanging canJoin are bounded; the overflow is refused RATE_LIMITED', async (t) => {
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  const server = await startServer(t, {
    messageRateLimit: { max: 1_000, timeWindow: 60_000 },
    canJoin: async () => { await held; return true }
  })
  server.app.realtime.on('echo', (data) => data)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  const join = client.request('join', 'public:1')
  const answers = Array.from({ length: 100 }, async (_, i) => await client.socket.timeout(10_000).emitWithAck('echo', i) as unknown)
  // The refusals come first, while the join still hangs.
  const refused = await Promise.race([Promise.all(answers), (async () => {
    const settled: unknown[] = []
    for (const answer of answers.slice(40)) settled.push(await answer)
    return settled
  })()])
  t.ok(refused.every((answer) => (answer as { error?: { code?: string } }).error?.code === 'RATE_LIMITED'), 'answers past the bound are RATE_LIMITED')
  release()
  t.same(await join, { ok: true })
  const all = await Promise.all(answers)
  const served = all.filter((answer, i) => answer === i).length
  t.ok(served >= 16 && served <= 40, `the first ones are served once the join is decided (${served})`)
})
