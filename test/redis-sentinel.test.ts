import t from 'tap'
import { createEmitter } from '../lib/emitter'
import { redisCluster, startNodes } from './helpers/nodes'
import { startSentinelGroup } from './helpers/redis-server'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

/*
 * Redis behind Sentinel, given to the plugin as ioredis' own Sentinel options. The fault is the real
 * one: the master is killed (-9), the Sentinel declares it down after a second and promotes the
 * replica, and every connection has to find the new master by asking the Sentinel again.
 */

const FAILOVER_TIMEOUT_MS = 15_000

t.test('through Sentinel: after the master is killed and its replica promoted, nodes and emitter reach the new master and delivery resumes', async (t) => {
  const group = await startSentinelGroup(t)
  const [a, b] = await startNodes(t, redisCluster(group.master), 2, { redis: group.redisOptions })
  const emitter = createEmitter({ redis: group.redisOptions })
  t.teardown(() => emitter.close())
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  const onB = await connect(b.wsUrl, { token: b.token(2) })
  await onA.client.request({ type: 'join', room: 'ops' })
  await onB.client.request({ type: 'join', room: 'ops' })
  t.ok(await a.app.realtime.to('ops').emit('before'), 'published to the first master')
  t.match(await onB.client.next('event'), { event: 'before', room: 'ops' })

  await group.master.kill()
  await waitFor(() => !a.app.realtime.busStatus().connected && !b.app.realtime.busStatus().connected)
  await waitFor(async () => await group.masterPort() === group.replica.port, FAILOVER_TIMEOUT_MS)
  await waitFor(() => a.app.realtime.busStatus().connected && b.app.realtime.busStatus().connected, FAILOVER_TIMEOUT_MS)
  t.match(a.app.realtime.busStatus(), { connected: true, outages: 1 }, 'one outage, over')

  t.ok(await a.app.realtime.to('ops').emit('after', 'a'), 'node A publishes to the promoted replica')
  t.match(await onB.client.next('event'), { event: 'after', data: 'a' })
  t.ok(await b.app.realtime.to('ops').emit('after', 'b'), 'and so does node B')
  // Node A's own client got 'a' locally first.
  t.match(await onA.client.nextWhere((frame) => frame.type === 'event' && frame.event === 'after' && frame.data === 'b'), { room: 'ops' })
  // The emitter's first emit after the failover may still find its connection reconnecting.
  let delivered = false
  for (let attempt = 0; attempt < 100 && !delivered; attempt++) {
    delivered = await emitter.to('ops').emit('from-emitter', attempt)
    if (!delivered) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(delivered, 'the emitter publishes to the promoted replica')
  t.match(await onA.client.nextWhere((frame) => frame.type === 'event' && frame.event === 'from-emitter'), { room: 'ops' })
  onA.client.close()
  onB.client.close()
})
