import Fastify from 'fastify'
import Redis from 'ioredis'
import t from 'tap'
import realtime, { MemoryBus, RedisBus } from '../lib/index'
import { SECRET, startServer } from './helpers/app'
import { startChildNode } from './helpers/child-node'
import { captureLogs } from './helpers/log-capture'
import { freePort, startRedis } from './helpers/redis-server'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

t.test('channels carry the prefix and, for rooms, the room name', async (t) => {
  const redis = await startRedis(t)
  const node = await startServer(t, { redis: redis.url, redisPrefix: 'shop' })
  const { client } = await connect(node.wsUrl, { token: node.token(1) })
  await client.request({ type: 'join', room: 'order:1' })
  const channels = (await redis.command('PUBSUB', 'CHANNELS', '*') as string[]).sort()
  t.same(channels, ['shop#all', `shop#node#${node.app.realtime.nodeId}`, 'shop#room#order:1', 'shop#room#user:1'])
  client.close()
})

t.test('two clusters with different prefixes share one Redis without hearing each other', async (t) => {
  const redis = await startRedis(t)
  const blue = await startServer(t, { redis: redis.url, redisPrefix: 'blue' })
  const green = await startServer(t, { redis: redis.url, redisPrefix: 'green' })
  const onGreen = await connect(green.wsUrl, { token: green.token(1) })
  await blue.app.realtime.toUser(1).emit('blue-only')
  await blue.app.realtime.emit('blue-broadcast')
  await green.app.realtime.toUser(1).emit('green')
  t.match(await onGreen.client.next('event'), { event: 'green' }, 'nothing from the blue cluster came first')
  t.equal(await blue.app.realtime.count(), 0)
  t.equal(await green.app.realtime.count(), 1)
  onGreen.client.close()
})

t.test('registration fails with FST_REALTIME_REDIS_UNAVAILABLE when Redis cannot be reached', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const port = await freePort()
  await t.rejects(async () => { await app.register(realtime, { jwt: { secret: SECRET }, redis: `redis://127.0.0.1:${port}` }).ready() }, {
    code: 'FST_REALTIME_REDIS_UNAVAILABLE',
    message: /ECONNREFUSED/
  })
})

t.test('options: redis with bus, a bad redis value or a bad redisPrefix fail at register time', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['redis', { redis: 'redis://127.0.0.1:1', bus: new MemoryBus() }],
    ['redis', { redis: 42 }],
    ['redisPrefix', { redis: 'redis://127.0.0.1:1', redisPrefix: 'a#b' }],
    ['redisPrefix', { redis: 'redis://127.0.0.1:1', redisPrefix: '' }],
    ['clusterRequestTimeout', { clusterRequestTimeout: 0 }]
  ]
  for (const [name, options] of cases) {
    const app = Fastify()
    await t.rejects(async () => { await app.register(realtime, { jwt: { secret: SECRET }, ...options }).ready() }, {
      code: 'FST_REALTIME_INVALID_OPTION', message: new RegExp(`"${name}"`)
    }, name)
    await app.close()
  }
  t.throws(() => new RedisBus({ redis: 'redis://127.0.0.1:1', nodeHeartbeatInterval: 1000, nodeTtl: 1000 }), { code: 'FST_REALTIME_INVALID_OPTION', message: /"nodeTtl"/ })
})

t.test('connections the plugin opened are closed by app.close(); a given ioredis instance is left open', async (t) => {
  const redis = await startRedis(t)
  const admin = redis.client()
  const clientCount = async (): Promise<number> => String(await admin.call('CLIENT', 'LIST')).trim().split('\n').length
  const baseline = await clientCount()

  const owned = await startServer(t, { redis: redis.url })
  t.equal(await clientCount(), baseline + 2, 'a command connection and a subscriber')
  await owned.app.close()
  await waitFor(async () => await clientCount() === baseline)

  const given = new Redis(redis.port, '127.0.0.1')
  t.teardown(() => given.disconnect())
  const app = await startServer(t, { redis: given })
  t.equal(await clientCount(), baseline + 2, 'the given connection and the plugin’s own subscriber')
  await app.app.close()
  await waitFor(async () => await clientCount() === baseline + 1)
  t.equal(await given.ping(), 'PONG', 'the given connection still works')
})

t.test('malformed bus messages are dropped with a debug log and delivery carries on', async (t) => {
  const redis = await startRedis(t)
  const logs = captureLogs()
  const [a, b] = [await startServer(t, { redis: redis.url }), await startServer(t, { redis: redis.url }, { logger: { level: 'debug', stream: logs.stream } })]
  const onB = await connect(b.wsUrl, { token: b.token(1) })
  const admin = redis.client()
  const garbage = [
    'not json',
    '[1,2]',
    '{"v":2,"type":"emit"}',
    '{"v":1,"type":"emit","origin":"x","rooms":[],"except":[],"event":"e","direct":false}',
    '{"v":1,"type":"emit","origin":"x","rooms":[],"except":[],"event":"e","direct":false}\n{broken',
    '{"v":1,"type":"emit","origin":"x","rooms":[""],"except":[],"event":"e","direct":false}\n1',
    '{"v":1,"type":"nope","origin":"x"}',
    '{"v":1,"type":"join","origin":"x","rooms":[],"except":[],"targetRooms":"all"}',
    '{"v":1,"type":"request","origin":"x","requestId":"r","query":{"kind":"drop tables"}}',
    '{"v":1,"type":"response","origin":"x","requestId":"r","answer":-1}',
    '{"v":1,"__proto__":{"polluted":true},"type":"disconnect","origin":"x","rooms":"all","except":[]}'
  ]
  for (const message of garbage) await admin.publish('fastify-realtime#all', message)
  await admin.publish('fastify-realtime#room#user:1', 'garbage on a room channel')
  await a.app.realtime.toUser(1).emit('still-works', { ok: true })
  t.same(await onB.client.next('event'), { type: 'event', event: 'still-works', data: { ok: true } })
  t.equal(onB.client.pending().length, 0, 'nothing else reached the client')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
  const dropped = logs.lines.filter((line) => line.includes('dropped a malformed bus message'))
  t.equal(dropped.length, garbage.length + 1, 'each one logged at debug level')
  t.ok(dropped.every((line) => JSON.parse(line).level === 20))
  onB.client.close()
})

t.test('a crashed node (kill -9) is not waited for: queries answer at once without it', async (t) => {
  const redis = await startRedis(t)
  const node = await startServer(t, { redis: redis.url })
  const child = await startChildNode(t, redis.url)
  await connect(node.wsUrl, { token: node.token(1) })
  await connect(child.wsUrl, { token: child.token })
  t.equal(await node.app.realtime.count(), 2)
  t.same((await node.app.realtime.connectedUsers()).sort(), ['1', 'child'])
  child.process.kill('SIGKILL')
  // Redis notices the dead subscriber; the registry still lists the node (its heartbeat has not expired).
  await waitFor(async () => (await redis.numsub(`fastify-realtime#node#${child.nodeId}`))[0] === 0)
  t.ok((await redis.command('ZRANGE', 'fastify-realtime#nodes', 0, -1) as string[]).includes(child.nodeId))
  const started = Date.now()
  t.equal(await node.app.realtime.count(), 1)
  t.ok(Date.now() - started < 200, `answered in ${Date.now() - started} ms, not after the 1000 ms timeout`)
})

t.test('a frozen node is waited for at most clusterRequestTimeout, and not at all once its heartbeat expired', async (t) => {
  const redis = await startRedis(t)
  const logs = captureLogs()
  const node = await startServer(t, { redis: redis.url, clusterRequestTimeout: 300 }, { logger: { level: 'warn', stream: logs.stream } })
  const child = await startChildNode(t, redis.url, { HEARTBEAT_INTERVAL: '100', NODE_TTL: '600' })
  await connect(node.wsUrl, { token: node.token(1) })
  await connect(child.wsUrl, { token: child.token })
  t.equal(await node.app.realtime.count(), 2)
  child.process.kill('SIGSTOP')
  let started = Date.now()
  t.equal(await node.app.realtime.count(), 1, 'answers without the frozen node')
  const waited = Date.now() - started
  t.ok(waited >= 290 && waited < 700, `waited ${waited} ms for the frozen node`)
  t.match(logs.lines.find((line) => line.includes('cluster query timed out')), child.nodeId, 'the warning names the silent node')
  const registered = async (): Promise<string[]> => await redis.command('ZRANGEBYSCORE', 'fastify-realtime#nodes', Date.now(), '+inf') as string[]
  await waitFor(async () => !(await registered()).includes(child.nodeId))
  started = Date.now()
  t.equal(await node.app.realtime.count(), 1)
  t.ok(Date.now() - started < 100, 'once its heartbeat expired the frozen node is not asked')
})
