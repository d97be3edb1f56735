import t from 'tap'
import { startServer } from './helpers/app'
import { openSession, poll, post } from './helpers/engine-http'
import { ioConnect, ioOpen, ioRefused, ioServer } from './helpers/socketio-client'
import { engineSession, payload, sessionClosed } from './helpers/socketio-flood'

const realtime = { socketio: { namespace: '/chat' } }

t.test("Socket.IO's default namespace refuses clients without a valid token when the realtime namespace is another", async (t) => {
  const server = await startServer(t, realtime)
  const missing = await ioRefused(t, server.httpUrl, { namespace: '/' })
  t.equal(missing.data?.code, 'UNAUTHORIZED')
  const forged = await ioRefused(t, server.httpUrl, { namespace: '/', token: 'not.a.jwt' })
  t.equal(forged.data?.code, 'UNAUTHORIZED')
  t.equal(ioServer(server.app).of('/').sockets.size, 0, 'nobody in /')

  // With a token it connects, and so gets what app.realtime.io.emit sends.
  const client = await ioOpen(t, server.httpUrl, { namespace: '/', token: server.token(1) })
  ioServer(server.app).emit('hello', 'authenticated')
  t.equal(await client.next('hello'), 'authenticated')
  // The realtime namespace works as ever.
  const { welcome } = await ioConnect(t, server.httpUrl, { namespace: '/chat', token: server.token(2) })
  t.equal(welcome.user?.sub, 2)
})

t.test('namespaces the app makes, static or dynamic, get the authentication before their own middlewares', async (t) => {
  const seenByApp: string[] = []
  const server = await startServer(t, realtime, {}, (app) => {
    const io = app.realtime.io
    if (io === undefined) throw new Error('no Socket.IO')
    io.of('/admin').use((socket, next) => { seenByApp.push(socket.nsp.name); next() })
    io.of(/^\/room-\d+$/).use((socket, next) => { seenByApp.push(socket.nsp.name); next() })
  })
  for (const namespace of ['/admin', '/room-1']) {
    const refusal = await ioRefused(t, server.httpUrl, { namespace })
    t.equal(refusal.data?.code, 'UNAUTHORIZED', `${namespace} refused without a token`)
  }
  t.same(seenByApp, [], "no middleware of the app's saw an unauthenticated client")
  for (const namespace of ['/admin', '/room-2']) {
    const client = await ioOpen(t, server.httpUrl, { namespace, token: server.token(1) })
    t.ok(client.socket.connected, `${namespace} admits a valid token`)
    client.close()
  }
  t.same(seenByApp, ['/admin', '/room-2'])
})

t.test('a refused CONNECT to another namespace ends the session, so a retry is a new, throttled handshake', async (t) => {
  const server = await startServer(t, realtime)
  const { sid } = await openSession(server.httpUrl)
  await post(server.httpUrl, sid, '40')
  t.match((await poll(server.httpUrl, sid)).body, /^44\{"message":"Missing token","data":\{"code":"UNAUTHORIZED"\}\}/)
  await sessionClosed(server.app, sid)
  t.equal(engineSession(server.app, sid), undefined)
})

t.test('with anonymous clients allowed, other namespaces admit them, under the per-session packet budget', async (t) => {
  const server = await startServer(t, { ...realtime, auth: { required: false }, messageRateLimit: { max: 5, timeWindow: 60_000 } })
  const { sid } = await openSession(server.httpUrl)
  await post(server.httpUrl, sid, '40')
  t.match((await poll(server.httpUrl, sid)).body, /^40\{"sid"/)
  // Events to the app's namespace are the app's; the session's budget (twice the limit) still bounds them.
  await post(server.httpUrl, sid, payload('42["spam"]', 11))
  await sessionClosed(server.app, sid)
  t.equal(engineSession(server.app, sid), undefined, 'the flooding session is closed')
})
