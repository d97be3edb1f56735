import { test } from 'tap'
import { createEmitter } from '../lib/emitter'
import type { ServerFrame } from '../lib/index'
import { redisCluster, startNodes } from './helpers/nodes'
import { startRedis } from './helpers/redis-server'
import { waitFor } from './helpers/wait-for'
import { connect, type TestClient } from './helpers/ws-client'

type EventFrame = Extract<ServerFrame, { type: 'event' }>

const RECOVERY = { recovery: true, autoJoin: () => ['feed'] } as const

/** Every `tick` a client receives until it has seen `last` (bounded by the wait), and the reset notices among them. */
async function ticksUntil (client: TestClient, last: number, timeoutMs = 10_000): Promise<{ ticks: number[], resets: number }> {
  const ticks: number[] = []
  let resets = 0
  while (ticks.at(-1) !== last) {
    const frame = await client.next('event', timeoutMs) as EventFrame
    if (frame.event === 'recovery:reset') resets++
    else ticks.push((frame.data as { n: number }).n)
  }
  return { ticks, resets }
}

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index)
}

test('subscribers killed twice during a stream of emits: every emit that resolved true arrives once, in order, on every node', async (t) => {
  const redis = await startRedis(t)
  const [emitting, other] = await startNodes(t, redisCluster(redis), 2, RECOVERY)
  const local = await connect(emitting.wsUrl, { token: emitting.token('a') })
  const remote = await connect(other.wsUrl, { token: emitting.token('b') })
  t.teardown(() => { local.client.close(); remote.client.close() })
  const accepted: number[] = []
  for (let n = 1; n <= 300; n++) {
    if (n === 100 || n === 200) await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub')
    if (await emitting.app.realtime.to('feed').emit('tick', { n })) accepted.push(n)
    // A few emits per turn, so the kills land in the middle of traffic in flight.
    if (n % 5 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  t.same(accepted, range(1, 300), 'the command connection stayed up: every emit was stored')
  for (const client of [local.client, remote.client]) {
    const { ticks } = await ticksUntil(client, 300)
    t.same(ticks, accepted, 'each accepted emit exactly once, in order')
  }
})

test('Redis restarted: emits during the outage resolve false and arrive nowhere, the rest arrive once', async (t) => {
  const redis = await startRedis(t)
  const nodes = await startNodes(t, redisCluster(redis), 2, RECOVERY)
  const clients = await Promise.all(nodes.map(async (node, index) => (await connect(node.wsUrl, { token: node.token(`u${index}`) })).client))
  t.teardown(() => { for (const client of clients) client.close() })
  const [emitting] = nodes
  for (let n = 1; n <= 20; n++) t.equal(await emitting.app.realtime.to('feed').emit('tick', { n }), true)
  await redis.kill()
  await waitFor(() => !emitting.app.realtime.busStatus().connected)
  for (let n = 21; n <= 25; n++) t.equal(await emitting.app.realtime.to('feed').emit('tick', { n }), false, `emit ${n} during the outage is refused`)
  await redis.start()
  await waitFor(() => nodes.every((node) => node.app.realtime.busStatus().connected), 10_000)
  for (let n = 26; n <= 40; n++) t.equal(await emitting.app.realtime.to('feed').emit('tick', { n }), true)
  for (const client of clients) {
    const { ticks, resets } = await ticksUntil(client, 40)
    t.same(ticks, [...range(1, 20), ...range(26, 40)], 'nothing refused arrives; everything accepted arrives once, in order')
    t.equal(resets, 1, 'the lost stream (a new epoch) is announced once')
  }
})

test('a client resumes on another node after the node it was on went away', async (t) => {
  const redis = await startRedis(t)
  const [leaving, staying] = await startNodes(t, redisCluster(redis), 2, RECOVERY)
  const { client } = await connect(leaving.wsUrl, { token: leaving.token('u1') })
  await staying.app.realtime.to('feed').emit('tick', { n: 1 })
  const first = await client.next('event') as EventFrame
  await leaving.app.close()
  await client.closed
  for (let n = 2; n <= 5; n++) await staying.app.realtime.to('feed').emit('tick', { n })
  const resume = encodeURIComponent(JSON.stringify({ feed: { offset: first.position?.offset, epoch: first.position?.epoch } }))
  const back = await connect(`${staying.wsUrl}?resume=${resume}`, { token: leaving.token('u1') })
  t.teardown(() => back.client.close())
  t.same(back.welcome.resumed, { feed: true })
  t.same((await ticksUntil(back.client, 5)).ticks, [2, 3, 4, 5])
})

test('an emitter given the cluster\'s recovery option stores its emits: clients that were away get them too', async (t) => {
  const redis = await startRedis(t)
  const [node] = await startNodes(t, redisCluster(redis), 1, RECOVERY)
  const emitter = createEmitter({ redis: redis.url, recovery: true })
  t.teardown(() => emitter.close())
  const { client, welcome } = await connect(node.wsUrl, { token: node.token('u1') })
  t.equal(await emitter.to('feed').emit('tick', { n: 1 }), true)
  const live = await client.next('event') as EventFrame
  t.same(live.position, { room: 'feed', offset: 1, epoch: live.position?.epoch })
  client.ws.terminate()
  await client.closed
  t.equal(await emitter.to(['feed', 'elsewhere']).emit('tick', { n: 2 }), true)
  t.equal(await emitter.toUser('u1').emit('tick', { n: 3 }), true)
  const resume = encodeURIComponent(JSON.stringify({ feed: live.position, 'user:u1': welcome.positions?.['user:u1'] }))
  const back = await connect(`${node.wsUrl}?resume=${resume}`, { token: node.token('u1') })
  t.teardown(() => back.client.close())
  t.same(back.welcome.resumed, { feed: true, 'user:u1': true })
  const replayed = [await back.client.next('event'), await back.client.next('event')] as EventFrame[]
  t.same(replayed.map((frame) => (frame.data as { n: number }).n).sort(), [2, 3])
  t.equal(replayed.find((frame) => (frame.data as { n: number }).n === 3)?.room, undefined, 'a direct event names no room on replay either')
})

test('a stream that lost events a node had delivered (a failover) is fenced: a new epoch, members told, old positions refused', async (t) => {
  const redis = await startRedis(t)
  const [node] = await startNodes(t, redisCluster(redis), 1, RECOVERY)
  const { client } = await connect(node.wsUrl, { token: node.token('u1') })
  t.teardown(() => client.close())
  for (let n = 1; n <= 5; n++) await node.app.realtime.to('feed').emit('tick', { n })
  const seen = (await ticksUntil(client, 5)).ticks
  t.same(seen, [1, 2, 3, 4, 5])
  const { epoch } = (await node.app.realtime.history('feed')).position
  // What an asynchronous replica that missed the last two emits looks like once it took over.
  const stream = 'fastify-realtime#room#feed#history'
  const kept = (await redis.command('XRANGE', stream, '-', '+', 'COUNT', 3)) as Array<[string, string[]]>
  await redis.command('DEL', stream)
  for (const [id, fields] of kept) await redis.command('XADD', stream, id, ...fields)
  await redis.command('HSET', 'fastify-realtime#room#feed#meta', 'top', 3)
  await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub')
  await waitFor(async () => (await node.app.realtime.history('feed')).position.epoch !== epoch)
  await node.app.realtime.to('feed').emit('tick', { n: 6 })
  const after = await ticksUntil(client, 6)
  t.same(after, { ticks: [6], resets: 1 }, 'the members are told, and delivery goes on')
  const back = await connect(`${node.wsUrl}?resume=${encodeURIComponent(JSON.stringify({ feed: { offset: 5, epoch } }))}`, { token: node.token('u2') })
  t.teardown(() => back.client.close())
  t.same(back.welcome.resumed, { feed: false })
})

test('a stream ahead of its meta (the two restored apart) heals with a new epoch instead of refusing every emit', async (t) => {
  const redis = await startRedis(t)
  const [node] = await startNodes(t, redisCluster(redis), 1, RECOVERY)
  const { client } = await connect(node.wsUrl, { token: node.token('u1') })
  t.teardown(() => client.close())
  for (let n = 1; n <= 3; n++) await node.app.realtime.to('feed').emit('tick', { n })
  t.same((await ticksUntil(client, 3)).ticks, [1, 2, 3])
  await redis.command('HSET', 'fastify-realtime#room#feed#meta', 'top', 1)
  t.equal(await node.app.realtime.to('feed').emit('tick', { n: 4 }), true)
  t.same(await ticksUntil(client, 4), { ticks: [4], resets: 1 })
})

test('a room whose keys Redis cannot use (another type under the name): emits resolve false, history() rejects, nothing is delivered', async (t) => {
  const redis = await startRedis(t)
  const [node] = await startNodes(t, redisCluster(redis), 1, RECOVERY)
  const { client } = await connect(node.wsUrl, { token: node.token('u1') })
  t.teardown(() => client.close())
  await redis.command('SET', 'fastify-realtime#room#feed#meta', 'not a hash')
  t.equal(await node.app.realtime.to('feed').emit('tick', { n: 1 }), false)
  await t.rejects(node.app.realtime.history('feed'), { code: 'FST_REALTIME_REDIS_UNAVAILABLE' })
  await redis.command('DEL', 'fastify-realtime#room#feed#meta')
  t.equal(await node.app.realtime.to('feed').emit('tick', { n: 2 }), true)
  t.same((await ticksUntil(client, 2)).ticks, [2], 'the refused emit reached no one')
})
