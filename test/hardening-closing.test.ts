import { setTimeout as delay } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { startServer, type TestServer } from './helpers/app'
import { RawSocket } from './helpers/raw-socket'
import { ioStart } from './helpers/socketio-client'
import { waitFor } from './helpers/wait-for'
import { open } from './helpers/ws-client'

/*
 * From the moment the server decides to close a connection (token expiry, disconnectUser),
 * nothing the client sends is handled, nothing more is delivered to it, and it counts as gone,
 * even when the client never answers the close frame (ws would wait 30 s for it).
 */

const TEXT = 0x1
const CLOSE = 0x8

interface Probe {
  handled: () => number
}

/** Registers a `probe` handler that counts its calls. */
function probe (app: FastifyInstance): Probe {
  let calls = 0
  app.realtime.on('probe', () => ++calls)
  return { handled: () => calls }
}

async function serverConnections (app: FastifyInstance): Promise<number> {
  return await new Promise((resolve, reject) => app.server.getConnections((err, count) => { if (err !== null) reject(err); else resolve(count) }))
}

/** A raw client (it never answers a close frame) that has been welcomed. */
async function rawWelcomed (server: TestServer, token: string): Promise<RawSocket> {
  const { raw, status } = await RawSocket.upgrade(server.port, '/ws', [`Authorization: Bearer ${token}`])
  if (status !== 101) throw new Error(`upgrade refused with ${status}`)
  await raw.waitForFrame((frame) => frame.opcode === TEXT && frame.payload.toString().includes('"welcome"'))
  return raw
}

/**
 * After the server's close frame, sends emits, a join and a ping, then hangs up: the server reads
 * all of them before it sees the socket end, so once its connection count drops they were read.
 */
async function sendAfterClose (t: Test, server: TestServer, raw: RawSocket, probeCalls: Probe, expectedCode: number): Promise<void> {
  const close = await raw.waitForFrame((frame) => frame.opcode === CLOSE, 10_000)
  t.equal(close.payload.readUInt16BE(0), expectedCode, 'the server sent its close frame')
  t.equal(await server.app.realtime.count(), 0, 'the connection counts as gone at once')
  const framesBefore = raw.serverFrames().length
  for (let i = 0; i < 3; i++) raw.sendJson({ type: 'emit', event: 'probe', data: i, id: `after-${i}` })
  raw.sendJson({ type: 'join', room: 'public:x', id: 'join-after' })
  raw.sendJson({ type: 'ping', id: 'ping-after' })
  raw.socket.end()
  await waitFor(async () => await serverConnections(server.app) === 0)
  t.equal(probeCalls.handled(), 1, 'no frame sent after the close was handled')
  t.equal(await server.app.realtime.roomSize('public:x'), 0, 'the join was not applied')
  t.equal(raw.serverFrames().length, framesBefore, 'nothing more was sent to the client')
}

const options = { canJoin: (_user: unknown, room: string) => room.startsWith('public:') }

t.test('after disconnectUser, frames from a /ws client that never answers the close are not handled', async (t) => {
  let calls: Probe = { handled: () => 0 }
  const server = await startServer(t, options, {}, (app) => { calls = probe(app) })
  const raw = await rawWelcomed(server, server.token('u1'))
  raw.sendJson({ type: 'emit', event: 'probe', id: 'before' })
  await raw.waitForFrame((frame) => frame.payload.toString().includes('"before"'))
  t.equal(calls.handled(), 1, 'a frame before the close is handled')
  t.equal(await server.app.realtime.disconnectUser('u1'), true)
  await sendAfterClose(t, server, raw, calls, 1000)
})

t.test('after its token expired (4401), frames from a /ws client that never answers the close are not handled', async (t) => {
  let calls: Probe = { handled: () => 0 }
  const server = await startServer(t, options, {}, (app) => { calls = probe(app) })
  const raw = await rawWelcomed(server, server.expiringToken('u1', 1))
  raw.sendJson({ type: 'emit', event: 'probe', id: 'before' })
  await raw.waitForFrame((frame) => frame.payload.toString().includes('"before"'))
  await sendAfterClose(t, server, raw, calls, 4401)
})

/** An autoJoin that returns only once the token it was given has expired. */
async function autoJoinOutlastingToken (user: { exp?: number } | null): Promise<string[]> {
  await delay(Math.max(0, (user?.exp ?? 0) * 1000 - Date.now()) + 20)
  return []
}

t.test('a token that expires during a slow autoJoin: /ws closes with 4401, no welcome, the frames sent meanwhile are not handled', async (t) => {
  let calls: Probe = { handled: () => 0 }
  const server = await startServer(t, { autoJoin: autoJoinOutlastingToken }, {}, (app) => { calls = probe(app) })
  const client = await open(server.wsUrl, { token: server.expiringToken('u1', 1) })
  for (let i = 0; i < 3; i++) client.send({ type: 'emit', event: 'probe', data: i, id: `early-${i}` })
  t.equal((await client.closed).code, 4401)
  t.notOk(client.pending().some((frame) => frame.type === 'welcome' || frame.type === 'ack'), 'no welcome, no ack')
  t.equal(calls.handled(), 0)
})

t.test('a token that expires during a slow autoJoin: Socket.IO gets 4401, no welcome, the events sent meanwhile are not handled', async (t) => {
  let calls: Probe = { handled: () => 0 }
  const server = await startServer(t, { autoJoin: autoJoinOutlastingToken }, {}, (app) => { calls = probe(app) })
  const client = ioStart(t, server.httpUrl, { token: server.expiringToken('u1', 1) })
  client.socket.on('connect', () => { for (let i = 0; i < 3; i++) client.socket.emit('probe', i) })
  t.match(await client.next('disconnect_reason', 5_000), { code: 4401 })
  await client.disconnected
  t.notOk(client.pending().some(({ event }) => event === 'welcome'), 'no welcome')
  t.equal(calls.handled(), 0)
})

t.test('frames waiting behind a hanging canJoin are bounded in bytes: the excess is refused with RATE_LIMITED', async (t) => {
  let release: (allowed: boolean) => void = () => {}
  const hanging = new Promise<boolean>((resolve) => { release = resolve })
  let calls: Probe = { handled: () => 0 }
  const maxPayload = 16 * 1024
  const server = await startServer(t, { maxPayload, canJoin: async () => await hanging }, {}, (app) => { calls = probe(app) })
  const client = await open(server.wsUrl, { token: server.token('u1') })
  await client.next('welcome')
  client.send({ type: 'join', room: 'slow', id: 'join' })
  const big = 'x'.repeat(maxPayload - 100)
  const frames = 8
  for (let i = 0; i < frames; i++) client.send({ type: 'emit', event: 'probe', data: big, id: `big-${i}` })
  const refused = await client.nextWhere((frame) => frame.type === 'error' && frame.code === 'RATE_LIMITED')
  t.match(refused, { id: 'big-4' }, 'the frame past four payloads waiting is refused, with its id')
  release(true)
  await client.nextWhere((frame) => frame.type === 'ack' && frame.id === 'join')
  for (let i = 0; i < 4; i++) t.match(await client.nextWhere((frame) => 'id' in frame && frame.id === `big-${i}`), { type: 'ack' }, `big-${i} waited and was handled`)
  for (let i = 5; i < frames; i++) t.match(await client.nextWhere((frame) => 'id' in frame && frame.id === `big-${i}`), { type: 'error', code: 'RATE_LIMITED' })
  t.equal(calls.handled(), 4)
  client.close()
})
