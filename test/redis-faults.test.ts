import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { timeUntilDelivered } from './helpers/delivery'
import { captureLogs } from './helpers/log-capture'
import { redisCluster, startNodes } from './helpers/nodes'
import { startRedis } from './helpers/redis-server'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

const RESUME_BUDGET_MS = 1_500
const OUTAGE_MS = 3_000

t.test('Redis killed and restarted: local delivery goes on, emits report false, one warning, delivery resumes', async (t) => {
  const redis = await startRedis(t)
  const logs = captureLogs()
  const [a, b] = await startNodes(t, redisCluster(redis), 2, {}, { logger: { level: 'info', stream: logs.stream } })
  const local = await connect(a.wsUrl, { token: a.token(2) })
  const remote = await connect(b.wsUrl, { token: b.token(1) })

  await redis.kill()
  await waitFor(() => !a.app.realtime.busStatus().connected && !b.app.realtime.busStatus().connected)
  const results: boolean[] = []
  for (let i = 0; i < 20; i++) results.push(await a.app.realtime.emit('during-outage', i))
  t.same(new Set(results), new Set([false]), 'every emit during the outage resolved false')
  for (let i = 0; i < 20; i++) t.same(await local.client.next('event'), { type: 'event', event: 'during-outage', data: i })
  t.match(a.app.realtime.busStatus(), { connected: false, outages: 1, failedPublishes: 20 })
  t.type(a.app.realtime.busStatus().disconnectedSince, 'number')
  // The scenario of DESIGN.md pitfall 8: Redis stays down for 3 s, long enough for the
  // reconnection backoff to reach its cap.
  await sleep(OUTAGE_MS)

  await redis.start()
  const resumedIn = await timeUntilDelivered(a.app.realtime.toUser(1), remote.client)
  t.ok(resumedIn < RESUME_BUDGET_MS, `delivery resumed ${resumedIn} ms after Redis came back`)
  t.notOk(remote.client.pending().some((frame) => frame.type === 'event' && frame.event === 'during-outage'),
    'what was published during the outage is gone (at-most-once), not delivered late')
  await waitFor(() => a.app.realtime.busStatus().connected && b.app.realtime.busStatus().connected)
  t.match(a.app.realtime.busStatus(), { connected: true, disconnectedSince: null, outages: 1 })
  t.equal(await a.app.realtime.count(), 2, 'both nodes announced themselves again to the emptied Redis')

  const warnings = logs.lines.filter((line) => line.includes('lost the Redis connection'))
  t.equal(warnings.length, 2, 'one warning per node, however many reconnection attempts and emits failed')
  t.equal(logs.lines.filter((line) => line.includes('Redis connection restored')).length, 2, 'and one line each when it came back')
  local.client.close(); remote.client.close()
})

t.test('a room joined while Redis was down receives cross-node traffic once Redis is back', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2)
  const remote = await connect(b.wsUrl, { token: b.token(1) })
  await redis.kill()
  await waitFor(() => !b.app.realtime.busStatus().connected)
  await remote.client.request({ type: 'join', room: 'joined-in-the-dark' })
  await redis.start()
  await waitFor(() => a.app.realtime.busStatus().connected && b.app.realtime.busStatus().connected)
  t.equal((await redis.numsub('fastify-realtime#room#joined-in-the-dark'))[0], 1)
  await a.app.realtime.to('joined-in-the-dark').emit('welcome-back')
  t.match(await remote.client.next('event'), { event: 'welcome-back', room: 'joined-in-the-dark' })
  remote.client.close()
})

t.test('CLIENT KILL TYPE pubsub: the subscriber reconnects, resubscribes and delivery resumes', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2)
  const remote = await connect(b.wsUrl, { token: b.token(1) })
  await remote.client.request({ type: 'join', room: 'order:1' })
  const killed = Number(await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub'))
  t.equal(killed, 2, 'both nodes’ subscribers were cut off')
  const resumedIn = await timeUntilDelivered(a.app.realtime.toUser(1), remote.client)
  t.ok(resumedIn < RESUME_BUDGET_MS, `delivery resumed ${resumedIn} ms after the kill`)
  await a.app.realtime.to('order:1').emit('room-traffic')
  t.match(await remote.client.next('event'), { event: 'room-traffic', room: 'order:1' }, 'room subscriptions are back too')
  await waitFor(() => b.app.realtime.busStatus().connected)
  t.match(b.app.realtime.busStatus(), { connected: true, outages: 1 })
  remote.client.close()
})

t.test('a frozen Redis (SIGSTOP): local delivery goes on, queries answer within clusterRequestTimeout, close() does not hang', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2, { clusterRequestTimeout: 300 })
  const local = await connect(a.wsUrl, { token: a.token(1) })
  await connect(b.wsUrl, { token: b.token(2) })
  t.equal(await a.app.realtime.count(), 2)
  redis.pause()
  t.teardown(() => redis.resume())

  const published = a.app.realtime.toUser(1).emit('while-frozen')
  t.same(await local.client.next('event'), { type: 'event', event: 'while-frozen', data: null }, 'delivered locally without waiting on Redis')

  const started = Date.now()
  t.equal(await a.app.realtime.count(), 1, 'this node’s own clients, when no other node can be asked')
  t.ok(Date.now() - started < 700, `answered in ${Date.now() - started} ms`)

  const closing = Date.now()
  await b.app.close()
  t.ok(Date.now() - closing < 3_000, `closed in ${Date.now() - closing} ms despite the frozen Redis`)

  redis.resume()
  t.equal(await published, true, 'the publish waiting in the socket reached Redis once it thawed')
  local.client.close()
})
