import { Cluster } from 'ioredis'
import t from 'tap'
import { timeUntilDelivered } from './helpers/delivery'
import { redisShardedCluster, startNodes } from './helpers/nodes'
import { startRedisCluster, type RedisServer } from './helpers/redis-server'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

/*
 * A Redis Cluster of three masters with a replica each. The fault is the real one: the master that
 * owns a room's shard channel is killed (-9); the cluster promotes its replica after
 * cluster-node-timeout (2 s) and the nodes' shard subscribers have to find it.
 */

const FAILOVER_TIMEOUT_MS = 20_000
const PREFIX = 'failover'
/** Probes for as long as a failover may take. */
const PROBING = { intervalMs: 50, attempts: FAILOVER_TIMEOUT_MS / 50 }

function connectCluster (nodes: RedisServer[]): Cluster {
  const client = new Cluster(nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), { enableAutoPipelining: true })
  client.on('error', () => {})
  return client
}

/** The port of the master that serves `slot`, as `node` sees the cluster. */
async function ownerOf (node: RedisServer, slot: number): Promise<number | undefined> {
  const lines = String(await node.command('CLUSTER', 'NODES')).trim().split('\n')
  for (const line of lines) {
    const [, address, flags, , , , , , ...slots] = line.split(' ')
    if (!flags.split(',').includes('master') || flags.includes('fail')) continue
    const serves = slots.some((range) => {
      const [from, to = from] = range.split('-').map(Number)
      return slot >= from && slot <= to
    })
    if (serves) return Number(address.split('@')[0].split(':')[1])
  }
  return undefined
}

t.test('a killed master: once its replica is promoted, the room on its shard is delivered across nodes again', async (t) => {
  const servers = await startRedisCluster(t, 3, 1)
  const [a, b] = await startNodes(t, redisShardedCluster(servers, () => connectCluster(servers), PREFIX), 2)
  const room = 'order:1'
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  const onB = await connect(b.wsUrl, { token: b.token(2) })
  await onA.client.request({ type: 'join', room })
  await onB.client.request({ type: 'join', room })
  t.ok(await a.app.realtime.to(room).emit('before'))
  t.match(await onB.client.next('event'), { event: 'before', room })

  const slot = Number(await servers[0].command('CLUSTER', 'KEYSLOT', `${PREFIX}#room#${room}`))
  const masterPort = await ownerOf(servers[0], slot)
  const master = servers.find((server) => server.port === masterPort)
  if (master === undefined) throw new Error(`no master serves slot ${slot}`)
  const survivor = servers.find((server) => server !== master) as RedisServer
  await master.kill()
  const killedAt = Date.now()
  await waitFor(async () => {
    const owner = await ownerOf(survivor, slot)
    return owner !== undefined && owner !== masterPort
  }, FAILOVER_TIMEOUT_MS)

  const promotedAfter = Date.now() - killedAt
  const resumedAfter = await timeUntilDelivered(a.app.realtime.to(room), onB.client, PROBING)
  t.ok(resumedAfter < FAILOVER_TIMEOUT_MS, `A's emits reach B again ${resumedAfter} ms after the promotion (${promotedAfter} ms after the kill)`)
  t.ok(await timeUntilDelivered(b.app.realtime.to(room), onA.client, PROBING) < FAILOVER_TIMEOUT_MS, 'and B\'s reach A')
  onA.client.close()
  onB.client.close()
})
