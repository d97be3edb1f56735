import { Cluster } from 'ioredis'
import t from 'tap'
import { createEmitter } from '../lib/emitter'
import { redisShardedCluster, startNodes } from './helpers/nodes'
import { startRedisCluster, type RedisServer } from './helpers/redis-server'
import { connect } from './helpers/ws-client'
import { clusterBehaviour } from './suites/cluster-behaviour'

// One local Redis Cluster of three masters for the whole file; each test gets its own prefix.
const shards = startRedisCluster(t)
let clusters = 0

function connectCluster (nodes: RedisServer[]): Cluster {
  const client = new Cluster(nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), { enableAutoPipelining: true })
  client.on('error', () => {})
  return client
}

clusterBehaviour(t, async () => {
  const nodes = await shards
  return redisShardedCluster(nodes, () => connectCluster(nodes), `sharded-${++clusters}`)
})

t.test('room channels are shard channels spread over the cluster’s masters', async (t) => {
  const nodes = await shards
  const prefix = `spread-${++clusters}`
  const [node] = await startNodes(t, redisShardedCluster(nodes, () => connectCluster(nodes), prefix), 1)
  const { client } = await connect(node.wsUrl, { token: node.token(1) })
  for (let i = 0; i < 30; i++) await client.request({ type: 'join', room: `room:${i}` })
  const perShard: number[] = []
  for (const shard of nodes) {
    const channels = await shard.command('PUBSUB', 'SHARDCHANNELS', `${prefix}#room#*`) as string[]
    perShard.push(channels.length)
  }
  t.equal(perShard.reduce((sum, count) => sum + count, 0), 31, 'thirty rooms and the user room')
  t.ok(perShard.every((count) => count > 0), `every master carries some rooms (${perShard.join(', ')})`)
  t.same(await nodes[0].command('PUBSUB', 'CHANNELS', `${prefix}#*`), [], 'no classic (cluster-wide) pub/sub channel is used')
  client.close()
})

t.test('an emitter given a Cluster publishes with SPUBLISH to the right shard', async (t) => {
  const nodes = await shards
  const prefix = `emitter-${++clusters}`
  const [a, b] = await startNodes(t, redisShardedCluster(nodes, () => connectCluster(nodes), prefix), 2)
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  const onB = await connect(b.wsUrl, { token: b.token(2) })
  await onB.client.request({ type: 'join', room: 'order:1' })
  const given = connectCluster(nodes)
  t.teardown(() => given.disconnect())
  const emitter = createEmitter({ redis: given, prefix })
  t.equal(await emitter.to('order:1').emit('order:status_updated', { status: 'shipped' }), true)
  t.equal(await emitter.toUser(1).emit('notification:new', 'hi'), true)
  t.same(await onB.client.next('event'), { type: 'event', event: 'order:status_updated', room: 'order:1', data: { status: 'shipped' } })
  t.same(await onA.client.next('event'), { type: 'event', event: 'notification:new', data: 'hi' })
  await emitter.close()
  onA.client.close(); onB.client.close()
})

t.test('rooms with history on a Cluster: stream, meta and channel share a slot; a client resumes through another node', async (t) => {
  const nodes = await shards
  const prefix = `history-${++clusters}`
  const [a, b] = await startNodes(t, redisShardedCluster(nodes, () => connectCluster(nodes), prefix), 2, { recovery: true })
  const rooms = ['order:1', 'tagged{x}room', 'open{brace']
  const first = await connect(a.wsUrl, { token: a.token(1) })
  for (const room of rooms) await first.client.request({ type: 'join', room })
  const seen: Record<string, unknown> = {}
  for (const room of rooms) {
    // Redis refuses a script whose keys and shard channel are in different slots: true means they share one.
    t.equal(await b.app.realtime.to(room).emit('tick', { room, n: 1 }), true, `${room} is stored`)
    const frame = await first.client.next('event')
    seen[room] = (frame as { position: unknown }).position
  }
  first.client.ws.terminate()
  await first.client.closed
  for (const room of rooms) t.equal(await b.app.realtime.to(room).emit('tick', { room, n: 2 }), true)
  const back = await connect(`${b.wsUrl}?resume=${encodeURIComponent(JSON.stringify(seen))}`, { token: a.token(1) })
  t.teardown(() => back.client.close())
  t.same(back.welcome.resumed, Object.fromEntries(rooms.map((room) => [room, true])))
  const replayed = new Set<string>()
  for (let i = 0; i < rooms.length; i++) replayed.add(((await back.client.next('event')).data as { room: string }).room)
  t.same([...replayed].sort(), [...rooms].sort())
  // No key can share the slot of a channel with a "}" and no hash tag: such a room is served without history.
  const plain = await connect(a.wsUrl, { token: a.token(2) })
  await plain.client.request({ type: 'join', room: 'odd}room' })
  t.equal(await b.app.realtime.to('odd}room').emit('tick', { n: 1 }), true)
  const frame = await plain.client.next('event')
  t.equal((frame as { position?: unknown }).position, undefined)
  plain.client.close()
  first.client.close()
})
