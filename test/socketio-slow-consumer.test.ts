import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { startServer } from './helpers/app'
import { openSession, poll, post } from './helpers/engine-http'
import { ioConnect, ioServer, serverSocket, type IoTestClient } from './helpers/socketio-client'

const CAP = 256 * 1024
const CHUNK = 'x'.repeat(64 * 1024)
// Bounded: at most 64 MiB offered; the cap must trip long before.
const MAX_EMITS = 1024

/** Stops reading the client's WebSocket, as a client that has stalled would: the server's writes back up. */
function stopReading (client: IoTestClient): void {
  const engine = client.socket.io.engine as unknown as { transport: { ws: { _socket: { pause: () => void } } } }
  engine.transport.ws._socket.pause()
}

/** Emits big events to everyone, one per turn, until a slow consumer has been closed. */
async function emitUntilSlowConsumerClosed (app: FastifyInstance): Promise<void> {
  for (let i = 0; i < MAX_EMITS && app.realtime.stats().slowConsumerDisconnects === 0; i++) {
    await app.realtime.emit('bulk', CHUNK)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** The reading bystander still gets events sent after the slow consumer was dropped. */
async function stillReceives (t: Test, app: FastifyInstance, reader: IoTestClient): Promise<void> {
  await app.realtime.emit('after', 'done')
  // `next` leaves the bulk events queued before it.
  t.equal(await reader.next('after', 10_000), 'done', 'the reading client still receives')
}

t.test('a WebSocket client that stops reading is dropped once maxBufferedBytes wait for it', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: CAP })
  const { client: reader } = await ioConnect(t, server.httpUrl, { token: server.token(2), transports: ['websocket'] })
  const { client: stalled } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  stopReading(stalled)
  const serverSide = serverSocket(server.app, stalled.socket.id)
  const disconnected = new Promise((resolve) => serverSide.once('disconnect', resolve))

  await emitUntilSlowConsumerClosed(server.app)
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 1, 'counted')
  t.equal(await server.app.realtime.count(), 1, 'the slow consumer left the hub')
  t.notOk(await server.app.realtime.isUserConnected(1))
  t.notOk(serverSide.connected, 'Socket.IO reported the disconnect at once')
  t.match(await disconnected, /close|error/)
  await stillReceives(t, server.app, reader)
})

t.test('a burst that passes the cap in one turn drops the client once', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: 64 * 1024 })
  const { client: stalled } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  stopReading(stalled)
  const sent: Array<Promise<boolean>> = []
  for (let i = 0; i < 100; i++) sent.push(server.app.realtime.emit('bulk', 'x'.repeat(8 * 1024)))
  await Promise.all(sent)
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 1, 'counted once')
  t.equal(await server.app.realtime.count(), 0, 'gone from the hub at once')
})

t.test('a polling session that stops polling is dropped once maxBufferedBytes wait for it', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: CAP })
  const { client: reader } = await ioConnect(t, server.httpUrl, { token: server.token(2), transports: ['websocket'] })
  const { sid } = await openSession(server.httpUrl)
  t.equal((await post(server.httpUrl, sid, `40{"token":"${server.token(1)}"}`)).status, 200)
  t.match((await poll(server.httpUrl, sid)).body, /^40\{"sid"/, 'connected')
  // Admission is asynchronous: the session is in the hub once the user is known to be connected.
  for (let i = 0; i < 100 && !(await server.app.realtime.isUserConnected(1)); i++) await new Promise((resolve) => setImmediate(resolve))
  t.ok(await server.app.realtime.isUserConnected(1))

  // No further poll: everything sent to the session waits in engine.io's buffer.
  await emitUntilSlowConsumerClosed(server.app)
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 1, 'counted')
  t.notOk(await server.app.realtime.isUserConnected(1), 'the slow consumer left the hub')
  t.equal((await poll(server.httpUrl, sid)).status, 400, 'the session is gone')
  await stillReceives(t, server.app, reader)
})

t.test('what app code sends a client through app.realtime.io counts towards its cap too', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: CAP })
  const { sid } = await openSession(server.httpUrl)
  t.equal((await post(server.httpUrl, sid, `40{"token":"${server.token(1)}"}`)).status, 200)
  const socketId = /^40\{"sid":"([^"]+)"/.exec((await poll(server.httpUrl, sid)).body)?.[1]
  for (let i = 0; i < 100 && !(await server.app.realtime.isUserConnected(1)); i++) await new Promise((resolve) => setImmediate(resolve))

  // No further poll. Socket.IO itself carries these (the hub does not), 320 KiB in all, both as
  // plain packets and as socket.io-adapter's broadcasts (pre-framed in two parts).
  const socket = serverSocket(server.app, socketId)
  for (let i = 0; i < 3; i++) socket.emit('direct', CHUNK)
  for (let i = 0; i < 2; i++) ioServer(server.app).to(socketId ?? '').emit('direct', CHUNK)
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 0, 'nothing is checked until the hub delivers')
  await server.app.realtime.emit('tiny', 1)
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 1, 'the next event the hub delivers finds the cap passed')
  t.notOk(await server.app.realtime.isUserConnected(1), 'the slow consumer left the hub')
})

t.test('the cap counts bytes, not characters: text outside ASCII fills it as fast as on /ws', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: 64 * 1024 })
  const { sid } = await openSession(server.httpUrl)
  t.equal((await post(server.httpUrl, sid, `40{"token":"${server.token(1)}"}`)).status, 200)
  t.match((await poll(server.httpUrl, sid)).body, /^40\{"sid"/)
  for (let i = 0; i < 100 && !(await server.app.realtime.isUserConnected(1)); i++) await new Promise((resolve) => setImmediate(resolve))
  // 30 events of 1,024 characters of 3 bytes each: 30,720 characters, 92,160 bytes.
  const wide = '界'.repeat(1024)
  for (let i = 0; i < 30; i++) await server.app.realtime.emit('wide', wide)
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 1, 'from the hub')
  const { sid: other } = await openSession(server.httpUrl)
  await post(server.httpUrl, other, `40{"token":"${server.token(2)}"}`)
  const otherId = /^40\{"sid":"([^"]+)"/.exec((await poll(server.httpUrl, other)).body)?.[1]
  for (let i = 0; i < 100 && !(await server.app.realtime.isUserConnected(2)); i++) await new Promise((resolve) => setImmediate(resolve))
  for (let i = 0; i < 30; i++) serverSocket(server.app, otherId).emit('wide', wide)
  await server.app.realtime.emit('tiny', 1)
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 2, 'and from app code')
})

t.test('a client that reads is never counted as a slow consumer, however much is sent', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: CAP })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: ['websocket'] })
  // 64 events of 64 KiB (16 times the cap), one per turn: each is written before the next is sent.
  for (let i = 0; i < 64; i++) {
    await server.app.realtime.emit('bulk', CHUNK)
    await client.next('bulk')
  }
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 0)
  t.ok(await server.app.realtime.isUserConnected(1))
})
