import Fastify from 'fastify'
import t from 'tap'
import WebSocket from 'ws'
import realtime, { type Bus } from '../lib/index'
import { createClient } from '../lib/client/index'
import type { PresenceEntry } from '../lib/protocol/presence'
import { SECRET, startServer } from './helpers/app'
import { memoryCluster, startNodes } from './helpers/nodes'
import { nextPresence, pendingIoPresence, presenceBarrier } from './helpers/presence'
import { ioConnect } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

// Presence on one node and on a cluster of nodes sharing a MemoryBroker, with real clients of both
// transports. The same behaviour over Redis: presence-redis.test.ts.

const ROOM = 'doc:1'

/** Entries sorted by user (anonymous last) and their connections by id, for comparisons. */
function sorted (entries: PresenceEntry[]): PresenceEntry[] {
  return [...entries]
    .map((entry) => ({ ...entry, connections: [...entry.connections].sort((a, b) => a.id.localeCompare(b.id)) }))
    .sort((a, b) => (a.userId ?? '~').localeCompare(b.userId ?? '~') || a.connections[0].id.localeCompare(b.connections[0].id))
}

t.test('presence:join comes with a user\'s first connection, and presence:leave with their last: a second tab says nothing', async (t) => {
  const server = await startServer(t, { presence: true })
  const { client: observer } = await connect(server.wsUrl, { token: server.token('watcher') })
  await observer.request({ type: 'join', room: ROOM })
  t.match(await nextPresence(observer, 'presence:join', 'watcher'), { room: ROOM, data: { room: ROOM, userId: 'watcher', info: null } }, 'a member hears its own join, as an event of the room')
  const { client: tab1 } = await connect(server.wsUrl, { token: server.token('ada') })
  const { client: tab2 } = await connect(server.wsUrl, { token: server.token('ada') })
  await tab1.request({ type: 'join', room: ROOM })
  t.match(await nextPresence(observer, 'presence:join', 'ada'), { data: { room: ROOM, userId: 'ada', info: null } })
  await tab2.request({ type: 'join', room: ROOM })
  tab1.close()
  t.same(await presenceBarrier(observer, server, ROOM), [], 'neither the second tab nor closing one of two is announced')
  tab2.close()
  t.same((await nextPresence(observer, 'presence:leave', 'ada')).data, { room: ROOM, userId: 'ada' })
  observer.close()
})

t.test('presence() lists one entry per user with each of their connections, on both transports; an anonymous connection is an entry of its own', async (t) => {
  const server = await startServer(t, { presence: true, auth: { required: false }, canJoin: () => true })
  const { client: ws, welcome: wsWelcome } = await connect(server.wsUrl, { token: server.token('ada') })
  const { client: io, welcome: ioWelcome } = await ioConnect(t, server.httpUrl, { token: server.token('ada') })
  const { client: anonymous1, welcome: anonymous1Welcome } = await connect(server.wsUrl)
  const { client: anonymous2, welcome: anonymous2Welcome } = await ioConnect(t, server.httpUrl)
  const before = Date.now()
  await ws.request({ type: 'join', room: ROOM })
  await io.request('join', ROOM)
  await anonymous1.request({ type: 'join', room: ROOM })
  await anonymous2.request('join', ROOM)
  const entries = sorted(await server.app.realtime.presence(ROOM))
  t.match(entries, sorted([
    { userId: 'ada', connections: [{ id: wsWelcome.connectionId, transport: 'ws', info: null }, { id: ioWelcome.connectionId, transport: 'socketio', info: null }] },
    { userId: null, connections: [{ id: anonymous1Welcome.connectionId, transport: 'ws', info: null }] },
    { userId: null, connections: [{ id: anonymous2Welcome.connectionId, transport: 'socketio', info: null }] }
  ] as PresenceEntry[]))
  t.equal(entries.length, 3)
  for (const { connections } of entries) for (const { joinedAt } of connections) t.ok(joinedAt >= before - 1000 && joinedAt <= Date.now(), 'joinedAt is when it joined')
  t.same(await server.app.realtime.presenceStats(ROOM), { users: 3, connections: 4 })
  t.same(await server.app.realtime.presence('empty'), [], 'a room nobody is in')
  t.same(await server.app.realtime.presenceStats('empty'), { users: 0, connections: 0 })
  ws.close()
  anonymous1.close()
})

t.test('a user on both transports is joined once and leaves once, and Socket.IO members get the events as ordinary events', async (t) => {
  const server = await startServer(t, { presence: true })
  const { client: watcher } = await ioConnect(t, server.httpUrl, { token: server.token('watcher') })
  await watcher.request('join', ROOM)
  t.same(await watcher.next('presence:join'), { room: ROOM, userId: 'watcher', info: null })
  const { client: observer } = await connect(server.wsUrl, { token: server.token('observer') })
  await observer.request({ type: 'join', room: ROOM })
  t.same(await watcher.next('presence:join'), { room: ROOM, userId: 'observer', info: null })
  await nextPresence(observer, 'presence:join', 'observer')
  const { client: ws } = await connect(server.wsUrl, { token: server.token('ada') })
  const { client: io } = await ioConnect(t, server.httpUrl, { token: server.token('ada') })
  await io.request('join', ROOM)
  t.same(await watcher.next('presence:join'), { room: ROOM, userId: 'ada', info: null })
  await nextPresence(observer, 'presence:join', 'ada')
  await ws.request({ type: 'join', room: ROOM })
  io.close()
  t.same(await presenceBarrier(observer, server, ROOM), [], 'the second transport and its going are not announced')
  ws.close()
  await nextPresence(observer, 'presence:leave', 'ada')
  // The watcher heard the barrier's join and leave too; of ada, only the leave.
  await server.app.realtime.emit('marker', null)
  await watcher.next('marker')
  t.same(pendingIoPresence(watcher).filter((event) => event.endsWith(' ada')), ['presence:leave ada'], 'ada left once, as an ordinary Socket.IO event')
  observer.close()
})

t.test('presence.info attaches the app\'s public info to each connection, in lists and in presence:join', async (t) => {
  const server = await startServer(t, { presence: { info: (client, room) => ({ name: String(client.user?.name), room }) } })
  const { client, welcome } = await connect(server.wsUrl, { token: server.token('ada', { name: 'Ada', secret: 'not shown' }) })
  await client.request({ type: 'join', room: ROOM })
  t.same((await nextPresence(client, 'presence:join', 'ada')).data, { room: ROOM, userId: 'ada', info: { name: 'Ada', room: ROOM } })
  t.match(await server.app.realtime.presence(ROOM), [{ userId: 'ada', connections: [{ id: welcome.connectionId, info: { name: 'Ada', room: ROOM } }] }])
  t.notMatch(JSON.stringify(await server.app.realtime.presence(ROOM)), /not shown/, 'no claim the app did not put there')
  client.close()
})

t.test('an info function that throws or returns a non-object leaves the member without info, and it is still present', async (t) => {
  const server = await startServer(t, { presence: { info: (client) => { if (client.userId === 'bad') throw new Error('boom'); return 'text' as never } } })
  for (const user of ['bad', 'odd']) {
    const { client } = await connect(server.wsUrl, { token: server.token(user) })
    await client.request({ type: 'join', room: ROOM })
  }
  t.same(sorted(await server.app.realtime.presence(ROOM)).map(({ userId, connections }) => [userId, connections[0].info]), [['bad', null], ['odd', null]])
})

t.test('a member asks for a room\'s presence with a frame; a non-member is FORBIDDEN, a room without presence BAD_REQUEST', async (t) => {
  const server = await startServer(t, { presence: true })
  const { client: ada, welcome } = await connect(server.wsUrl, { token: server.token('ada') })
  const { client: bob } = await connect(server.wsUrl, { token: server.token('bob') })
  await ada.request({ type: 'join', room: ROOM })
  t.same(await ada.request({ type: 'presence', room: ROOM, id: 'p' }), {
    type: 'ack',
    id: 'p',
    data: { room: ROOM, users: 1, connections: 1, members: [{ userId: 'ada', connections: [{ id: welcome.connectionId, transport: 'ws', info: null, joinedAt: (await server.app.realtime.presence(ROOM))[0].connections[0].joinedAt }] }] }
  })
  t.match(await bob.request({ type: 'presence', room: ROOM }), { type: 'error', code: 'FORBIDDEN' }, 'not a member')
  t.match(await bob.request({ type: 'presence', room: 'nobody-here' }), { type: 'error', code: 'FORBIDDEN' }, 'refused alike whether the room exists or not')
  t.match(await ada.request({ type: 'presence', room: 'user:ada' }), { type: 'error', code: 'BAD_REQUEST', message: 'This room does not track presence' }, 'user: rooms track none by default')
  t.match(await ada.request({ type: 'presence', room: '' }), { type: 'error', code: 'BAD_REQUEST' })
  t.match(await ada.request({ type: 'presence', id: 'x' }), { type: 'error', id: 'x', code: 'BAD_REQUEST' }, 'a frame without a room')
  t.match(await ada.request({ type: 'ping' }), { type: 'pong' }, 'the connection stays open')
  ada.close()
  bob.close()
})

t.test('a presence request right after a join sees the join', async (t) => {
  const server = await startServer(t, { presence: true })
  const { client } = await connect(server.wsUrl, { token: server.token('ada') })
  client.send({ type: 'join', room: ROOM })
  t.match(await client.request({ type: 'presence', room: ROOM }), { type: 'ack', data: { users: 1, members: [{ userId: 'ada' }] } })
  client.close()
})

t.test('with presence off, the server API refuses with FST_REALTIME_INVALID_ARGUMENT and a client request is NOT_FOUND', async (t) => {
  const server = await startServer(t)
  await t.rejects(server.app.realtime.presence(ROOM), { code: 'FST_REALTIME_INVALID_ARGUMENT', message: /presence\(\) must be called with the presence option on/ })
  await t.rejects(server.app.realtime.presenceStats(ROOM), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  const { client } = await connect(server.wsUrl, { token: server.token('ada') })
  await client.request({ type: 'join', room: ROOM })
  t.match(await client.request({ type: 'presence', room: ROOM }), { type: 'error', code: 'NOT_FOUND' })
  t.match(await client.request({ type: 'emit', event: 'presence', data: ROOM }), { type: 'error', code: 'NOT_FOUND' }, 'nor is "presence" taken for a request when emitted')
  t.throws(() => server.app.realtime.on('presence', () => null), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, '"presence" is a reserved request name')
  client.close()
})

t.test('the server API refuses rooms that track no presence and bad names', async (t) => {
  const server = await startServer(t, { presence: { rooms: (room) => room.startsWith('doc:') } })
  await t.rejects(server.app.realtime.presence('order:1'), { code: 'FST_REALTIME_INVALID_ARGUMENT', message: /tracks presence/ })
  await t.rejects(server.app.realtime.presenceStats('user:1'), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  await t.rejects(server.app.realtime.presence(''), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  const { client } = await connect(server.wsUrl, { token: server.token('ada') })
  await client.request({ type: 'join', room: 'order:1' })
  await client.request({ type: 'join', room: ROOM })
  t.match(await nextPresence(client), { event: 'presence:join', room: ROOM }, 'only the tracked room announces')
  t.same(await presenceBarrier(client, server, ROOM), [])
  client.close()
})

t.test('presence.events: false keeps the queries and sends no events; a function decides per room', async (t) => {
  const server = await startServer(t, { presence: { events: (room) => room !== 'quiet' } })
  const { client } = await connect(server.wsUrl, { token: server.token('ada') })
  await client.request({ type: 'join', room: 'quiet' })
  await client.request({ type: 'join', room: ROOM })
  t.match(await nextPresence(client), { room: ROOM }, 'the first presence event is the loud room\'s')
  t.same(await server.app.realtime.presenceStats('quiet'), { users: 1, connections: 1 }, 'the quiet room is tracked')
  client.close()

  const silent = await startServer(t, { presence: { events: false } })
  const { client: ada } = await connect(silent.wsUrl, { token: silent.token('ada') })
  await ada.request({ type: 'join', room: ROOM })
  t.match(await ada.request({ type: 'presence', room: ROOM }), { type: 'ack', data: { users: 1 } })
  await silent.app.realtime.emit('marker', null)
  await ada.nextWhere((frame) => frame.type === 'event' && frame.event === 'marker')
  t.same(ada.pending(), [], 'no presence event')
  ada.close()
})

t.test('presence lists are capped at presence.listLimit users; presenceStats counts everyone', async (t) => {
  const server = await startServer(t, { presence: { listLimit: 2 } })
  for (const user of ['a', 'b', 'c']) {
    const { client } = await connect(server.wsUrl, { token: server.token(user) })
    await client.request({ type: 'join', room: ROOM })
  }
  t.equal((await server.app.realtime.presence(ROOM)).length, 2)
  t.same(await server.app.realtime.presenceStats(ROOM), { users: 3, connections: 3 })
})

t.test('quick leave and rejoin ends joined, and no member sees a leave after the join that replaced it', async (t) => {
  const server = await startServer(t, { presence: true })
  const { client: observer } = await connect(server.wsUrl, { token: server.token('watcher') })
  await observer.request({ type: 'join', room: ROOM })
  await nextPresence(observer, 'presence:join', 'watcher')
  const { client } = await connect(server.wsUrl, { token: server.token('ada') })
  await client.request({ type: 'join', room: ROOM })
  await nextPresence(observer, 'presence:join', 'ada')
  for (let i = 0; i < 20; i++) {
    client.send({ type: 'leave', room: ROOM })
    client.send({ type: 'join', room: ROOM })
  }
  // A reload: the tab goes, another comes.
  client.close()
  const { client: reloaded } = await connect(server.wsUrl, { token: server.token('ada') })
  await reloaded.request({ type: 'join', room: ROOM })
  const events = await presenceBarrier(observer, server, ROOM)
  t.ok(events.every((event, i) => event === (i % 2 === 0 ? 'presence:leave ada' : 'presence:join ada')), `leaves and joins alternate: ${events.join(', ')}`)
  t.ok(events.length % 2 === 0, 'and end with a join (or say nothing)')
  t.same((await server.app.realtime.presence(ROOM)).map(({ userId }) => userId).sort(), ['ada', 'watcher'])
  t.same(await server.app.realtime.presenceStats(ROOM), { users: 2, connections: 2 })
  observer.close()
  reloaded.close()
})

t.test('on a cluster, a user connected to two nodes counts once; queries answer the same from any node', async (t) => {
  const [a, b, c] = await startNodes(t, memoryCluster(), 3, { presence: true })
  const observers = []
  for (const node of [a, b, c]) {
    const { client } = await connect(node.wsUrl, { token: node.token(`watcher-${node.port}`) })
    await client.request({ type: 'join', room: ROOM })
    observers.push(client)
  }
  // Each hears its own join and the joins after it.
  for (const [i, observer] of observers.entries()) for (const node of [a, b, c].slice(i)) await nextPresence(observer, 'presence:join', `watcher-${node.port}`)
  const { client: onA } = await connect(a.wsUrl, { token: a.token('ada') })
  const { client: onB } = await ioConnect(t, b.httpUrl, { token: b.token('ada') })
  await onA.request({ type: 'join', room: ROOM })
  await onB.request('join', ROOM)
  for (const observer of observers) t.match(await nextPresence(observer, 'presence:join', 'ada'), { data: { userId: 'ada' } })
  for (const node of [a, b, c]) {
    t.same(await node.app.realtime.presenceStats(ROOM), { users: 4, connections: 5 }, `stats from node ${node.port}`)
    const ada = (await node.app.realtime.presence(ROOM)).find(({ userId }) => userId === 'ada')
    t.same(ada?.connections.map(({ transport }) => transport).sort(), ['socketio', 'ws'], `ada's two connections, listed from node ${node.port}`)
  }
  onA.close()
  for (const [i, observer] of observers.entries()) t.same(await presenceBarrier(observer, [a, b, c][i], ROOM), [], 'leaving one node of two says nothing')
  onB.close()
  for (const observer of observers) await nextPresence(observer, 'presence:leave', 'ada')
  for (const observer of observers) observer.close()
})

t.test('a node that closes takes its members out of presence, and the other nodes\' members hear them leave', async (t) => {
  const cluster = memoryCluster()
  const [a] = await startNodes(t, cluster, 1, { presence: true })
  const app = Fastify()
  await app.register(realtime, { jwt: { secret: SECRET }, presence: true, ...cluster.nodeOptions(t) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const { client: observer } = await connect(a.wsUrl, { token: a.token('watcher') })
  await observer.request({ type: 'join', room: ROOM })
  const { client: leaving } = await connect(`ws://127.0.0.1:${port}/ws`, { token: a.token('ada') })
  await leaving.request({ type: 'join', room: ROOM })
  await nextPresence(observer, 'presence:join', 'ada')
  await app.close()
  t.same((await nextPresence(observer, 'presence:leave', 'ada')).data, { room: ROOM, userId: 'ada' })
  t.same(await a.app.realtime.presenceStats(ROOM), { users: 1, connections: 1 })
  observer.close()
})

t.test('with recovery on, presence events are live only: no position, and not in the room\'s history', async (t) => {
  const server = await startServer(t, { presence: true, recovery: true })
  const { client } = await connect(server.wsUrl, { token: server.token('ada') })
  await client.request({ type: 'join', room: ROOM })
  const join = await nextPresence(client, 'presence:join', 'ada')
  t.equal(join.position, undefined)
  await server.app.realtime.to(ROOM).emit('note', 1)
  t.match(await client.nextWhere((frame) => frame.type === 'event' && frame.event === 'note'), { position: { room: ROOM, offset: 1 } }, 'the room\'s own events keep their positions')
  t.same((await server.app.realtime.history(ROOM)).events.map(({ event }) => event), ['note'])
  client.close()
})

t.test('fastify-realtime/client: client.presence(room) resolves the snapshot, and rejects FORBIDDEN for a room it is not in', async (t) => {
  const server = await startServer(t, { presence: true })
  const client = createClient({ url: server.wsUrl, token: server.token('ada'), WebSocket })
  t.teardown(() => client.close())
  await client.connect()
  const joins: unknown[] = []
  client.on('presence:join', (data) => { joins.push(data) })
  await client.join(ROOM)
  t.match(await client.presence(ROOM), { room: ROOM, users: 1, connections: 1, members: [{ userId: 'ada', connections: [{ id: client.connectionId, transport: 'ws' }] }] })
  t.same(joins, [{ room: ROOM, userId: 'ada', info: null }], 'presence events reach ordinary listeners')
  await t.rejects(client.presence('elsewhere'), { code: 'FORBIDDEN' })
})

t.test('presence options are checked at register time', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    ['yes', /option "presence" must be false, true or an object/],
    [{ room: () => true }, /unknown option "presence\.room" \(did you mean "presence\.rooms"\?\)/],
    [{ rooms: 'doc:' }, /option "presence\.rooms" must be a function/],
    [{ info: {} }, /option "presence\.info" must be a function/],
    [{ events: 'no' }, /option "presence\.events" must be a boolean or a function of the room/],
    [{ listLimit: 0 }, /option "presence\.listLimit" must be a positive integer/],
    [{ listLimit: 10_001 }, /option "presence\.listLimit" must be at most 10000/]
  ]
  for (const [presence, message] of bad) {
    const app = Fastify()
    await t.rejects(async () => { await app.register(realtime, { jwt: { secret: SECRET }, presence: presence as never }).ready() }, { code: 'FST_REALTIME_INVALID_OPTION', message }, JSON.stringify(presence))
    await app.close()
  }
  const plainBus = { presenceStore: undefined } as unknown as Bus
  const app = Fastify()
  await t.rejects(async () => { await app.register(realtime, { jwt: { secret: SECRET }, presence: true, bus: plainBus }).ready() }, { code: 'FST_REALTIME_INVALID_OPTION', message: /"presence" must be false with a bus that keeps no presence/ })
  await app.close()
})
