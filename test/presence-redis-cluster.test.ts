import { Cluster } from 'ioredis'
import t from 'tap'
import { redisShardedCluster, startNodes } from './helpers/nodes'
import { nextPresence, presenceBarrier } from './helpers/presence'
import { startRedisCluster, type RedisServer } from './helpers/redis-server'
import { connect } from './helpers/ws-client'

// Presence on a Redis Cluster of three masters: each room's keys share its shard channel's slot, so
// its scripts run (and SPUBLISH) on the master that owns the room.

const shards = startRedisCluster(t)

function connectCluster (nodes: RedisServer[]): Cluster {
  const client = new Cluster(nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), { enableAutoPipelining: true })
  client.on('error', () => {})
  return client
}

t.test('two nodes over a Redis Cluster: rooms on every shard count people once and announce each change once', async (t) => {
  const nodes = await shards
  const [a, b] = await startNodes(t, redisShardedCluster(nodes, () => connectCluster(nodes), 'presence'), 2, { presence: true })
  const rooms = Array.from({ length: 12 }, (_, i) => `doc:${i}`)
  const { client: observer } = await connect(b.wsUrl, { token: b.token('watcher') })
  const { client: onA } = await connect(a.wsUrl, { token: a.token('ada') })
  const { client: onB } = await connect(b.wsUrl, { token: b.token('ada') })
  for (const room of rooms) {
    await observer.request({ type: 'join', room })
    await onA.request({ type: 'join', room })
    await onB.request({ type: 'join', room })
  }
  for (let i = 0; i < rooms.length; i++) await nextPresence(observer, 'presence:join', 'watcher')
  const joined = []
  for (let i = 0; i < rooms.length; i++) joined.push((await nextPresence(observer, 'presence:join', 'ada')).room)
  t.same(joined.sort(), [...rooms].sort(), 'ada joined each room once (the rooms\' orders are their own)')
  for (const room of rooms) t.same(await a.app.realtime.presenceStats(room), { users: 2, connections: 3 })
  const used = await Promise.all(nodes.map(async (node) => (await node.command('KEYS', '{presence#room#*}#presence') as string[]).length))
  t.ok(used.every((count) => count > 0), `every master keeps some rooms' presence (${used.join(', ')})`)
  onA.close()
  t.same(await presenceBarrier(observer, a, rooms[0]), [], 'the other tab keeps ada in')
  onB.close()
  const left = []
  for (let i = 0; i < rooms.length; i++) left.push((await nextPresence(observer, 'presence:leave', 'ada')).room)
  t.same(left.sort(), [...rooms].sort(), 'and left each once')
  observer.close()
})
