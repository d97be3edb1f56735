import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import Redis from 'ioredis'
import t from 'tap'
import { createEmitter } from '../lib/emitter'
import { redisCluster, startNodes } from './helpers/nodes'
import { freePort, startRedis } from './helpers/redis-server'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

const run = promisify(execFile)

t.test('a worker process with no Fastify reaches rooms, users and everyone on every node', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2)
  const member = await connect(a.wsUrl, { token: a.token(1) })
  const mutedMember = await connect(b.wsUrl, { token: b.token(2) })
  const user42 = await connect(b.wsUrl, { token: b.token(42) })
  await member.client.request({ type: 'join', room: 'order:1' })
  await mutedMember.client.request({ type: 'join', room: 'order:1' })
  await mutedMember.client.request({ type: 'join', room: 'muted' })

  const { stdout } = await run(process.execPath, [resolve(__dirname, 'fixtures', 'emitter-worker.mjs')], {
    cwd: resolve(__dirname, '..'), env: { ...process.env, REDIS_URL: redis.url }, timeout: 30_000
  })
  t.same(JSON.parse(stdout), { results: [true, true, true], fastifyLoaded: false })

  t.same(await member.client.next('event'), { type: 'event', event: 'order:status_updated', room: 'order:1', data: { status: 'shipped' } })
  t.same(await user42.client.next('event'), { type: 'event', event: 'notification:new', data: { text: 'Shipped' } })
  for (const { client } of [member, mutedMember, user42]) t.same(await client.next('event'), { type: 'event', event: 'announcement', data: 'hello everyone' })
  t.equal(mutedMember.client.pending().length, 0, 'except() held the room emit back from the muted member')
  for (const { client } of [member, mutedMember, user42]) client.close()
})

t.test('require(\'fastify-realtime/emitter\') works from CommonJS too', async (t) => {
  const { stdout } = await run(process.execPath, ['-e', 'console.log(typeof require(\'fastify-realtime/emitter\').createEmitter)'], { cwd: resolve(__dirname, '..') })
  t.equal(stdout.trim(), 'function')
})

t.test('an emitter can make clients join, leave and disconnect on every node', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2)
  const emitter = createEmitter({ redis: redis.url })
  t.teardown(() => emitter.close())
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  const onB = await connect(b.wsUrl, { token: b.token(1) })
  // The emitter is another publisher than the node asked, so the nodes apply its commands a
  // moment after Redis took them: wait for the effect rather than expecting it at once.
  t.equal(await emitter.toUser(1).join('beta-testers'), true)
  await waitFor(async () => await a.app.realtime.roomSize('beta-testers') === 2)
  t.equal(await emitter.in('beta-testers').leave('beta-testers'), true)
  await waitFor(async () => await a.app.realtime.roomSize('beta-testers') === 0)
  t.equal(await emitter.in('user:1').disconnect(), true)
  t.match(await onA.client.closed, { code: 1000 })
  t.match(await onB.client.closed, { code: 1000 })
})

t.test('emit resolves false while Redis is unreachable and true again once it is back', async (t) => {
  const redis = await startRedis(t)
  const [node] = await startNodes(t, redisCluster(redis), 1)
  const { client } = await connect(node.wsUrl, { token: node.token(1) })
  const emitter = createEmitter({ redis: redis.url })
  t.teardown(() => emitter.close())
  t.equal(await emitter.emit('first'), true, 'the first emit waits for the connection instead of failing')
  t.match(await client.next('event'), { event: 'first' })
  await redis.kill()
  t.equal(await emitter.emit('lost'), false)
  await redis.start()
  await waitFor(() => node.app.realtime.busStatus().connected)
  await waitFor(async () => await emitter.toUser(1).emit('back'))
  t.match(await client.next('event'), { event: 'back' }, 'the emit that said true arrived; the one that said false did not')
  client.close()
})

t.test('an emitter whose Redis cannot be reached resolves false instead of hanging', async (t) => {
  const emitter = createEmitter({ redis: `redis://127.0.0.1:${await freePort()}` })
  t.teardown(() => emitter.close())
  t.equal(await emitter.emit('nowhere'), false)
})

t.test('close() leaves a given ioredis instance open', async (t) => {
  const redis = await startRedis(t)
  const given = new Redis(redis.port, '127.0.0.1')
  t.teardown(() => given.disconnect())
  const emitter = createEmitter({ redis: given, prefix: 'shop' })
  t.equal(await emitter.emit('hello'), true)
  await emitter.close()
  t.equal(await given.ping(), 'PONG')
})

t.test('bad options and arguments throw coded errors', async (t) => {
  t.throws(() => createEmitter({ redis: 'redis://127.0.0.1:1', prefix: 'a#b' }), { code: 'FST_REALTIME_INVALID_OPTION', message: /"prefix"/ })
  t.throws(() => createEmitter({ redis: '' }), { code: 'FST_REALTIME_INVALID_OPTION', message: /"redis"/ })
  const emitter = createEmitter({ redis: { lazyConnect: true, port: await freePort() } })
  t.teardown(() => emitter.close())
  t.throws(() => emitter.to('bad\u0000room'), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  t.throws(() => emitter.toUser(''), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  t.throws(() => emitter.emit(''), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
})
