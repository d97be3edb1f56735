import t, { type Test } from 'tap'
import { RedisBus } from '../lib/index'
import { startServer, type TestServer } from './helpers/app'
import { redisCluster, startNodes } from './helpers/nodes'
import { nextPresence, pendingPresence, presenceBarrier } from './helpers/presence'
import { startPresenceChild } from './helpers/presence-child'
import { startRedis, type RedisServer } from './helpers/redis-server'
import { ioConnect } from './helpers/socketio-client'
import { waitFor } from './helpers/wait-for'
import { connect, type TestClient } from './helpers/ws-client'

// Presence across nodes over a real redis-server: people counted once across nodes and transports,
// the events once per change and in order on every node, a killed node's members gone within two
// node heartbeats, and a Redis that lost everything filled in again.

const ROOM = 'doc:1'
/** The node heartbeat of the tests that kill or freeze a node: a dead node's members go within twice this. */
const HEARTBEAT = 400

/** A node whose bus beats every HEARTBEAT ms, as the child node's does. */
async function fastNode (t: Test, redis: RedisServer): Promise<TestServer> {
  const bus = new RedisBus({ redis: redis.url, nodeHeartbeatInterval: HEARTBEAT, nodeTtl: 3 * HEARTBEAT })
  t.teardown(() => bus.close())
  return await startServer(t, { bus, presence: true })
}

/** A ws client of the token's user on `node`, joined to the room. */
async function member (node: TestServer | { wsUrl: string }, token: string, room = ROOM): Promise<TestClient> {
  const { client } = await connect(node.wsUrl, { token })
  t.match(await client.request({ type: 'join', room }), { type: 'ack' })
  return client
}

t.test('two nodes: a user with a tab on each, on two transports, is one entry, joined once and leaving once', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2, { presence: true })
  const observerA = await member(a, a.token('watcher-a'))
  await nextPresence(observerA, 'presence:join', 'watcher-a')
  const observerB = await member(b, b.token('watcher-b'))
  for (const observer of [observerA, observerB]) await nextPresence(observer, 'presence:join', 'watcher-b')
  const onA = await member(a, a.token('ada'))
  const { client: onB } = await ioConnect(t, b.httpUrl, { token: b.token('ada') })
  await onB.request('join', ROOM)
  for (const observer of [observerA, observerB]) t.match((await nextPresence(observer, 'presence:join', 'ada')).data, { room: ROOM, userId: 'ada', info: null })
  for (const node of [a, b]) {
    t.same(await node.app.realtime.presenceStats(ROOM), { users: 3, connections: 4 }, `stats from node ${node.port}`)
    const ada = (await node.app.realtime.presence(ROOM)).find(({ userId }) => userId === 'ada')
    t.same(ada?.connections.map(({ transport }) => transport).sort(), ['socketio', 'ws'], `one entry for ada, with both connections, from node ${node.port}`)
  }
  t.match(await observerB.request({ type: 'presence', room: ROOM }), { type: 'ack', data: { users: 3, connections: 4 } }, 'a client asks any node')
  onA.close()
  for (const [observer, node] of [[observerA, a], [observerB, b]] as const) t.same(await presenceBarrier(observer, node, ROOM), [], 'closing one of the two says nothing')
  onB.close()
  for (const observer of [observerA, observerB]) t.same((await nextPresence(observer, 'presence:leave', 'ada')).data, { room: ROOM, userId: 'ada' })
  t.same(await a.app.realtime.presenceStats(ROOM), { users: 2, connections: 2 })
  observerA.close()
  observerB.close()
})

t.test('three nodes: every member hears every change once, whichever node it happened on', async (t) => {
  const redis = await startRedis(t)
  const nodes = await startNodes(t, redisCluster(redis), 3, { presence: true })
  const observers: TestClient[] = []
  for (const [i, node] of nodes.entries()) {
    observers.push(await member(node, node.token(`watcher-${i}`)))
    for (const observer of observers) await nextPresence(observer, 'presence:join', `watcher-${i}`)
  }
  const users: TestClient[] = []
  for (const [i, node] of nodes.entries()) users.push(await member(node, node.token(`user-${i}`)))
  for (const observer of observers) {
    for (let i = 0; i < 3; i++) await nextPresence(observer, 'presence:join', `user-${i}`)
  }
  for (const user of users) user.close()
  for (const observer of observers) {
    for (let i = 0; i < 3; i++) await nextPresence(observer, 'presence:leave', `user-${i}`)
  }
  for (const [i, observer] of observers.entries()) t.same(await presenceBarrier(observer, nodes[i], ROOM), [], `observer ${i} heard each change once`)
  for (const node of nodes) t.same(await node.app.realtime.presenceStats(ROOM), { users: 3, connections: 3 })
  for (const observer of observers) observer.close()
})

t.test('a user who moves between nodes quickly (a reload landing elsewhere) ends joined, and no leave follows the join that replaced it', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2, { presence: true })
  const observer = await member(b, b.token('watcher'))
  await nextPresence(observer, 'presence:join', 'watcher')
  let tab = await member(a, a.token('ada'))
  await nextPresence(observer, 'presence:join', 'ada')
  for (let i = 0; i < 10; i++) {
    tab.send({ type: 'leave', room: ROOM })
    tab.send({ type: 'join', room: ROOM })
    tab.close()
    const node = i % 2 === 0 ? b : a
    tab = await member(node, node.token('ada'))
  }
  const events = [...await presenceBarrier(observer, a, ROOM), ...await presenceBarrier(observer, b, ROOM)]
  t.ok(events.every((event, i) => event === (i % 2 === 0 ? 'presence:leave ada' : 'presence:join ada')), `leaves and joins alternate: ${events.join(', ')}`)
  t.equal(events.length % 2, 0, 'and end with a join, or say nothing')
  t.same((await a.app.realtime.presence(ROOM)).map(({ userId }) => userId).sort(), ['ada', 'watcher'])
  t.same(await b.app.realtime.presenceStats(ROOM), { users: 2, connections: 2 })
  tab.close()
  observer.close()
})

t.test('a node killed with SIGKILL: its members leave within two node heartbeats, sent by the survivor; a user also on the survivor stays', async (t) => {
  const redis = await startRedis(t)
  const survivor = await fastNode(t, redis)
  const child = await startPresenceChild(t, redis.url, HEARTBEAT)
  const observer = await member(survivor, survivor.token('watcher'))
  await nextPresence(observer, 'presence:join', 'watcher')
  await member(child, survivor.token('bob'))
  await member(child, survivor.token('ada'))
  const adaHere = await member(survivor, survivor.token('ada'))
  const { client: io } = await ioConnect(t, child.httpUrl, { token: survivor.token('eve') })
  await io.request('join', ROOM)
  for (const user of ['bob', 'ada', 'eve']) await nextPresence(observer, 'presence:join', user)
  t.same(await survivor.app.realtime.presenceStats(ROOM), { users: 4, connections: 5 })
  const killed = Date.now()
  child.process.kill('SIGKILL')
  const left = new Set<string>()
  for (let i = 0; i < 2; i++) left.add(String(((await nextPresence(observer, 'presence:leave', undefined, 4 * HEARTBEAT)).data as { userId: string }).userId))
  const elapsed = Date.now() - killed
  t.same([...left].sort(), ['bob', 'eve'], 'the killed node\'s users left, on both transports')
  t.ok(elapsed <= 2 * HEARTBEAT, `within two heartbeats: ${elapsed} ms (heartbeat ${HEARTBEAT} ms)`)
  t.same(await presenceBarrier(observer, survivor, ROOM), [], 'ada, still connected to the survivor, did not leave')
  t.same(await survivor.app.realtime.presenceStats(ROOM), { users: 2, connections: 2 })
  t.same((await survivor.app.realtime.presence(ROOM)).find(({ userId }) => userId === 'ada')?.connections.length, 1)
  adaHere.close()
  observer.close()
})

t.test('a node frozen past the bound is taken for dead; once it wakes it adds its members again', async (t) => {
  const redis = await startRedis(t)
  const survivor = await fastNode(t, redis)
  const child = await startPresenceChild(t, redis.url, HEARTBEAT)
  const observer = await member(survivor, survivor.token('watcher'))
  await nextPresence(observer, 'presence:join', 'watcher')
  await member(child, survivor.token('bob'))
  await nextPresence(observer, 'presence:join', 'bob')
  child.process.kill('SIGSTOP')
  t.teardown(() => { child.process.kill('SIGCONT') })
  await nextPresence(observer, 'presence:leave', 'bob', 4 * HEARTBEAT)
  t.same(await survivor.app.realtime.presenceStats(ROOM), { users: 1, connections: 1 })
  child.process.kill('SIGCONT')
  await nextPresence(observer, 'presence:join', 'bob', 4 * HEARTBEAT)
  t.same(await survivor.app.realtime.presenceStats(ROOM), { users: 2, connections: 2 })
  t.same(pendingPresence(observer), [])
  observer.close()
})

t.test('a Redis restarted empty: every node adds its members again within a heartbeat or two', async (t) => {
  const redis = await startRedis(t)
  const a = await fastNode(t, redis)
  const b = await fastNode(t, redis)
  const clients = [await member(a, a.token('ada')), await member(b, b.token('bob')), await member(b, b.token('ada'))]
  t.same(await a.app.realtime.presenceStats(ROOM), { users: 2, connections: 3 })
  await redis.restart()
  await waitFor(async () => {
    const stats = await a.app.realtime.presenceStats(ROOM).catch(() => undefined)
    return stats?.users === 2 && stats.connections === 3
  }, 10_000)
  t.same(sortedUsers(await b.app.realtime.presence(ROOM)), ['ada', 'bob'])
  for (const client of clients) client.close()
})

t.test('a non-member is refused FORBIDDEN over Redis too, and a closed node leaves nothing behind', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2, { presence: true })
  const ada = await member(a, a.token('ada'))
  const { client: bob } = await connect(b.wsUrl, { token: b.token('bob') })
  t.match(await bob.request({ type: 'presence', room: ROOM }), { type: 'error', code: 'FORBIDDEN' })
  t.match(await ada.request({ type: 'presence', room: ROOM }), { type: 'ack', data: { users: 1 } })
  bob.close()
  await a.app.close()
  t.same(await b.app.realtime.presenceStats(ROOM), { users: 0, connections: 0 })
  const keys = await redis.command('KEYS', '*presence*') as string[]
  t.same(keys.filter((key) => !key.includes('#owners') && !key.includes('#sweeping')), [], `no presence key left: ${keys.join(', ')}`)
})

function sortedUsers (entries: Array<{ userId: string | null }>): Array<string | null> {
  return entries.map(({ userId }) => userId).sort()
}
