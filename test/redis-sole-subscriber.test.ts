import type Redis from 'ioredis'
import t, { type Test } from 'tap'
import type { TestServer } from './helpers/app'
import { redisCluster, startNodes } from './helpers/nodes'
import { startRedis, type RedisServer } from './helpers/redis-server'
import { startTcpProxy, type ProxiedConnection, type TcpProxy } from './helpers/tcp-proxy'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

/*
 * A node does not publish a room's emits while it is the room's only subscriber (lib/bus/
 * sole-subscriber.ts). These tests drive it through a real redis-server and count the PUBLISH
 * commands Redis executed. A long clusterRequestTimeout makes a mark last for seconds (half of it),
 * so no mark lapses in the middle of a test.
 */

const OPTIONS = { clusterRequestTimeout: 10_000 }
const MAX_EMITS_UNTIL_SOLE = 200

async function publishCount (redis: RedisServer): Promise<number> {
  const stats = String(await redis.command('INFO', 'commandstats'))
  return Number(/cmdstat_publish:calls=(\d+)/.exec(stats)?.[1] ?? 0)
}

/** Emits to the room until an emit goes out without a PUBLISH; resolves with how many it took. */
async function emitUntilSole (redis: RedisServer, node: TestServer, room: string): Promise<number> {
  for (let emits = 1; emits <= MAX_EMITS_UNTIL_SOLE; emits++) {
    const before = await publishCount(redis)
    await node.app.realtime.to(room).emit('warm-up', emits)
    if (await publishCount(redis) === before) return emits
  }
  throw new Error(`still publishing after ${MAX_EMITS_UNTIL_SOLE} emits`)
}

/** A node whose Redis connections go through a TCP proxy, for faults on them. */
async function startProxiedNode (t: Test, redis: RedisServer): Promise<{ node: TestServer, proxy: TcpProxy }> {
  const proxy = await startTcpProxy(t, redis.port)
  const [node] = await startNodes(t, redisCluster(redis), 1, { ...OPTIONS, redis: `redis://127.0.0.1:${proxy.port}` })
  return { node, proxy }
}

/** The node's subscriber connection among those through the proxy: the latest, after reconnects. */
function subscriberOf (proxy: TcpProxy): ProxiedConnection {
  const subscribers = proxy.connections.filter((connection) => connection.sent.includes('\r\nsubscribe\r\n'))
  const subscriber = subscribers[subscribers.length - 1]
  if (subscriber === undefined) throw new Error('no subscriber connection went through the proxy')
  return subscriber
}

/** When a test-side subscriber of a room's channel, which never acknowledges, heard each announcement of it. */
async function announcementsHeard (redis: RedisServer, room: string): Promise<number[]> {
  const subscriber: Redis = redis.client()
  const heardAt: number[] = []
  subscriber.on('message', (_channel: string, message: string) => {
    if (message.includes('"type":"subscribed"')) heardAt.push(Date.now())
  })
  await subscriber.subscribe(`fastify-realtime#room#${room}`)
  return heardAt
}

/** A test-side subscriber of a room's channel that records the emits it hears. */
async function eavesdrop (redis: RedisServer, room: string): Promise<{ id: string, emits: string[] }> {
  const subscriber: Redis = redis.client()
  const id = String(await subscriber.client('ID'))
  const emits: string[] = []
  subscriber.on('message', (_channel: string, message: string) => {
    if (message.includes('"type":"emit"')) emits.push(message.slice(message.indexOf('\n') + 1))
  })
  await subscriber.subscribe(`fastify-realtime#room#${room}`)
  return { id, emits }
}

t.test('a node alone in a room stops publishing its emits, and its own clients still get every one in order', async (t) => {
  const redis = await startRedis(t)
  const [node] = await startNodes(t, redisCluster(redis), 1, OPTIONS)
  const { client } = await connect(node.wsUrl, { token: node.token(1) })
  await client.request({ type: 'join', room: 'order:1' })
  const warmUps = await emitUntilSole(redis, node, 'order:1')
  const before = await publishCount(redis)
  for (let i = 0; i < 100; i++) t.equal(await node.app.realtime.to('order:1').emit('status', i), true, 'reported as handed on')
  // A probe answered late on a loaded machine lets the mark's liveness lapse for an emit or two.
  const published = await publishCount(redis) - before
  t.ok(published <= 5, `${published} PUBLISH for 100 emits`)
  const received: unknown[] = []
  for (let i = 0; i < warmUps + 100; i++) received.push((await client.next('event')).data)
  t.same(received, [...Array.from({ length: warmUps }, (_, i) => i + 1), ...Array.from({ length: 100 }, (_, i) => i)])
  client.close()
})

t.test('a client joining on another node gets the very next emit of a node that was alone in the room', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2, OPTIONS)
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  await onA.client.request({ type: 'join', room: 'dashboard' })
  await emitUntilSole(redis, a, 'dashboard')

  const onB = await connect(b.wsUrl, { token: b.token(2) })
  t.match(await onB.client.request({ type: 'join', room: 'dashboard' }), { type: 'ack' })
  const before = await publishCount(redis)
  await a.app.realtime.to('dashboard').emit('after-join', 1)
  t.match(await onB.client.next('event'), { event: 'after-join', room: 'dashboard', data: 1 })
  t.ok(await publishCount(redis) > before, 'node A publishes the room again')
  onA.client.close()
  onB.client.close()
})

t.test('a node whose subscriber connection is half-open never takes the other subscriber for itself', async (t) => {
  const redis = await startRedis(t)
  const { node, proxy } = await startProxiedNode(t, redis)
  const { client } = await connect(node.wsUrl, { token: node.token(1) })
  await client.request({ type: 'join', room: 'ticker' })
  const other = await eavesdrop(redis, 'ticker')
  const subscriber = subscriberOf(proxy)
  // Redis drops the node's subscription; the node is not told. Every PUBLISH reply now counts one
  // subscriber: the other one.
  proxy.halfOpen(subscriber)
  await waitFor(async () => (await redis.numsub('fastify-realtime#room#ticker'))[0] === 1)
  const emits = 200
  for (let i = 0; i < emits; i++) {
    await node.app.realtime.to('ticker').emit('tick', i)
    await new Promise((resolve) => setImmediate(resolve))
  }
  await waitFor(() => other.emits.length === emits)
  t.same(other.emits, Array.from({ length: emits }, (_, i) => String(i)), 'the other subscriber heard every emit')
  client.close()
})

t.test('a node that comes back from a dropped subscriber connection announces its rooms: a node alone meanwhile publishes to it again', async (t) => {
  const redis = await startRedis(t)
  const [a] = await startNodes(t, redisCluster(redis), 1, OPTIONS)
  const { node: b, proxy } = await startProxiedNode(t, redis)
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  const onB = await connect(b.wsUrl, { token: b.token(2) })
  await onA.client.request({ type: 'join', room: 'news' })
  await onB.client.request({ type: 'join', room: 'news' })

  const release = proxy.holdNewConnections()
  proxy.drop(subscriberOf(proxy))
  await emitUntilSole(redis, a, 'news')
  t.equal(b.app.realtime.busStatus().connected, false, 'node B is still away while node A is alone')
  release()
  await waitFor(() => b.app.realtime.busStatus().connected)
  await a.app.realtime.to('news').emit('after-reconnect')
  t.match(await onB.client.nextWhere((frame) => frame.type === 'event' && frame.event === 'after-reconnect'), { room: 'news' })
  onA.client.close()
  onB.client.close()
})

t.test('after two quick subscriber drops, the bus counts as connected only once the latest connection has announced its rooms', async (t) => {
  const redis = await startRedis(t)
  const proxy = await startTcpProxy(t, redis.port)
  const windowMs = 1_500
  const [node] = await startNodes(t, redisCluster(redis), 1, { clusterRequestTimeout: 2 * windowMs, redis: `redis://127.0.0.1:${proxy.port}` })
  const { client } = await connect(node.wsUrl, { token: node.token(1) })
  await client.request({ type: 'join', room: 'desk' })
  // A subscriber that never acknowledges: every announcement of the room waits out the window.
  const heardAt = await announcementsHeard(redis, 'desk')

  proxy.drop(subscriberOf(proxy))
  await waitFor(() => heardAt.length === 1)
  // The first reconnect is waiting on its announcement when its connection drops too; the next
  // one is held for a while, so the two waits end far apart.
  const release = proxy.holdNewConnections()
  proxy.drop(subscriberOf(proxy))
  await new Promise((resolve) => setTimeout(resolve, windowMs / 2))
  release()
  await waitFor(() => heardAt.length === 2)
  await waitFor(() => node.app.realtime.busStatus().connected, 3 * windowMs)
  const connectedAfter = Date.now() - heardAt[1]
  t.ok(connectedAfter >= windowMs - 300, `connected ${connectedAfter} ms after the latest announcement (window ${windowMs} ms), not when the dropped connection's wait ended`)
  client.close()
})

t.test('a join made while the bus is still announcing its rooms after a reconnect waits for its own announcement', async (t) => {
  const redis = await startRedis(t)
  const [a] = await startNodes(t, redisCluster(redis), 1, OPTIONS)
  const { node: b, proxy } = await startProxiedNode(t, redis)
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  await onA.client.request({ type: 'join', room: 'deals' })
  const onB = await connect(b.wsUrl, { token: b.token(2) })
  await onB.client.request({ type: 'join', room: 'desk' })
  // Node B's announcement of `desk` after its reconnect waits out the window (5 s) for this one.
  const heardAt = await announcementsHeard(redis, 'desk')
  await emitUntilSole(redis, a, 'deals')

  proxy.drop(subscriberOf(proxy))
  await waitFor(() => heardAt.length === 1)
  t.equal(b.app.realtime.busStatus().connected, false, 'node B is still waiting on its announcement of desk')
  await onB.client.request({ type: 'join', room: 'deals' })
  await a.app.realtime.to('deals').emit('first-after-join')
  t.match(await onB.client.nextWhere((frame) => frame.type === 'event' && frame.event === 'first-after-join', 2_000), { room: 'deals' },
    'node A, alone in the room until then, published the first emit after the join')
  onA.client.close()
  onB.client.close()
})

t.test('a node alone in a room whose subscriber connection then goes half-open publishes again within the liveness bound', async (t) => {
  const redis = await startRedis(t)
  const { node: a, proxy } = await startProxiedNode(t, redis)
  const [b] = await startNodes(t, redisCluster(redis), 1, OPTIONS)
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  await onA.client.request({ type: 'join', room: 'alerts' })
  await emitUntilSole(redis, a, 'alerts')

  proxy.halfOpen(subscriberOf(proxy))
  const cutAt = Date.now()
  await waitFor(async () => (await redis.numsub('fastify-realtime#room#alerts'))[0] === 0)
  // Node B's announcement reaches no subscriber but node B itself: its join waits for no one.
  const onB = await connect(b.wsUrl, { token: b.token(2) })
  await onB.client.request({ type: 'join', room: 'alerts' })
  let published = false
  for (let i = 0; i < 2_000 && !published; i++) {
    const before = await publishCount(redis)
    await a.app.realtime.to('alerts').emit('alert', i)
    published = await publishCount(redis) > before
    if (!published) await new Promise((resolve) => setTimeout(resolve, 2))
  }
  const skippedFor = Date.now() - cutAt
  t.ok(published, 'node A publishes the room again')
  t.ok(skippedFor < 1_000, `within ${skippedFor} ms of the fault, far below the 5 s a mark would last`)
  t.match(await onB.client.next('event'), { event: 'alert', room: 'alerts' })
  onA.client.close()
  onB.client.close()
})

t.test('a subscriber that never acknowledges delays a join by half of clusterRequestTimeout at most', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2, { clusterRequestTimeout: 2_000 })
  await eavesdrop(redis, 'quiet')
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  const started = Date.now()
  t.match(await onA.client.request({ type: 'join', room: 'quiet' }), { type: 'ack' })
  const waited = Date.now() - started
  t.ok(waited >= 900 && waited < 1_900, `the join waited ${waited} ms for the silent subscriber (window 1000 ms)`)
  await b.app.realtime.to('quiet').emit('still-delivered')
  t.match(await onA.client.next('event'), { event: 'still-delivered' })
  onA.client.close()
})

t.test('a join whose announcement cannot be published waits out the window: a node alone in the room has stopped skipping by then', async (t) => {
  const redis = await startRedis(t)
  const options = { clusterRequestTimeout: 1_000 }
  const [a] = await startNodes(t, redisCluster(redis), 1, options)
  const proxy = await startTcpProxy(t, redis.port)
  const [b] = await startNodes(t, redisCluster(redis), 1, { ...options, redis: `redis://127.0.0.1:${proxy.port}` })
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  await onA.client.request({ type: 'join', room: 'feed' })
  await emitUntilSole(redis, a, 'feed')

  // Node B's command connection goes down (and stays down); its subscriber stays up.
  proxy.holdNewConnections()
  const command = proxy.connections.find((connection) => connection !== subscriberOf(proxy))
  if (command === undefined) throw new Error('no command connection went through the proxy')
  proxy.drop(command)
  const onB = await connect(b.wsUrl, { token: b.token(2) })
  const started = Date.now()
  await onB.client.request({ type: 'join', room: 'feed' })
  t.ok(Date.now() - started >= 450, `the join waited ${Date.now() - started} ms (window 500 ms)`)
  await a.app.realtime.to('feed').emit('after-join')
  t.match(await onB.client.next('event'), { event: 'after-join', room: 'feed' })
  onA.client.close()
  onB.client.close()
})

t.test('every other subscriber acknowledges an announcement: a join waits for none when a room is new', async (t) => {
  const redis = await startRedis(t)
  const [a, b, c] = await startNodes(t, redisCluster(redis), 3, OPTIONS)
  for (const [node, user] of [[a, 1], [b, 2]] as const) {
    const { client } = await connect(node.wsUrl, { token: node.token(user) })
    await client.request({ type: 'join', room: 'lobby' })
    t.teardown(() => client.close())
  }
  const onC = await connect(c.wsUrl, { token: c.token(3) })
  const started = Date.now()
  await onC.client.request({ type: 'join', room: 'lobby' })
  await onC.client.request({ type: 'join', room: 'empty-room' })
  t.ok(Date.now() - started < 1_000, `both joins acknowledged in ${Date.now() - started} ms, far from the 5 s wait for a silent subscriber`)
  await a.app.realtime.to('lobby').emit('hello')
  t.match(await onC.client.next('event'), { event: 'hello', room: 'lobby' })
  onC.client.close()
})
