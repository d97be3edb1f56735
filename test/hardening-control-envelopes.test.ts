import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { memoryCluster, redisCluster, startNodes } from './helpers/nodes'
import { startRedis, type RedisServer } from './helpers/redis-server'
import { connect, open } from './helpers/ws-client'

/*
 * Over Redis, a node that was a room's only subscriber skips publishing its emits (the
 * sole-subscriber optimisation). Control envelopes (disconnect, join, leave) must always travel:
 * another node may be admitting a connection of that room right now.
 */

interface Gate {
  /** Resolves once autoJoin has been called for a connection of `user`. */
  reached: Promise<void>
  release: () => void
}

/** A callback (autoJoin, auth.trusted) that holds connections of `user` until released. */
function hold<T> (user: string, result: T): { gate: Gate, callback: (u: { sub?: unknown } | null) => Promise<T> } {
  let reach: () => void = () => {}
  let release: () => void = () => {}
  const reached = new Promise<void>((resolve) => { reach = resolve })
  const released = new Promise<void>((resolve) => { release = resolve })
  return {
    gate: { reached, release },
    callback: async (u) => {
      if (u?.sub !== user) return result
      reach()
      await released
      return result
    }
  }
}

async function publishCount (redis: RedisServer): Promise<number> {
  const stats = String(await redis.command('INFO', 'commandstats'))
  return Number(/cmdstat_publish:calls=(\d+)/.exec(stats)?.[1] ?? 0)
}

/** Emits to the room until one goes out without a PUBLISH: the node now holds back the room's emits. */
async function makeSole (redis: RedisServer, app: FastifyInstance, room: string): Promise<void> {
  for (let emits = 1; emits <= 200; emits++) {
    const before = await publishCount(redis)
    await app.realtime.to(room).emit('warm-up', emits)
    if (await publishCount(redis) === before) return
  }
  throw new Error('the node still publishes every emit')
}

for (const phase of ['its token check (auth.trusted)', 'autoJoin'] as const) {
  t.test(`a logout on one node reaches a session of the user in ${phase} on another, right after emits to the user`, async (t) => {
    const redis = await startRedis(t)
    const { gate, callback } = phase === 'autoJoin' ? hold<string[]>('u1', []) : hold<boolean>('u1', true)
    t.teardown(gate.release)
    const options = { clusterRequestTimeout: 10_000 }
    const [a] = await startNodes(t, redisCluster(redis), 1, options)
    const [b] = await startNodes(t, redisCluster(redis), 1, phase === 'autoJoin'
      ? { ...options, autoJoin: callback as (u: unknown) => Promise<string[]> }
      : { ...options, auth: { trusted: callback as (u: unknown) => Promise<boolean> } })
    const { client: first } = await connect(a.wsUrl, { token: a.token('u1') })
    await makeSole(redis, a.app, 'user:u1')
    const second = open(b.wsUrl, { token: b.token('u1') })
    await gate.reached
    t.equal(await a.app.realtime.disconnectUser('u1'), true)
    t.equal((await first.closed).code, 1000, 'the connection on the same node is closed')
    // A cluster query answered by the other node after the logout reached it (Redis delivers one
    // publisher's messages in order): the logout is known there before its session goes on.
    await a.app.realtime.count()
    gate.release()
    const client = await second
    const outcome = await Promise.race([client.closed.then(({ code }) => code), client.next('welcome').then(() => 'welcomed', () => 'closed')])
    t.equal(outcome, 1000, 'the session being set up on the other node is closed, never welcomed')
  })
}

t.test('joins and leaves from one node reach a session of the user being set up on another', async (t) => {
  const redis = await startRedis(t)
  const { gate, callback } = hold<boolean>('u2', true)
  t.teardown(gate.release)
  const options = { clusterRequestTimeout: 10_000 }
  const [a] = await startNodes(t, redisCluster(redis), 1, options)
  const [b] = await startNodes(t, redisCluster(redis), 1, { ...options, auth: { trusted: callback as (u: unknown) => Promise<boolean> } })
  const { client: onA } = await connect(a.wsUrl, { token: a.token('u2') })
  await makeSole(redis, a.app, 'user:u2')
  const pending = connect(b.wsUrl, { token: b.token('u2') })
  await gate.reached
  t.equal(await a.app.realtime.in('user:u2').join(['org:1', 'org:2']), true)
  t.equal(await a.app.realtime.in('user:u2').leave('org:2'), true)
  t.equal(await a.app.realtime.roomSize('org:1'), 1, 'the connection on the same node joined at once')
  gate.release()
  const { client: onB, welcome } = await pending
  t.same([...welcome.rooms].sort(), ['org:1', 'user:u2'], 'the session being set up got the join and the leave, in order')
  await a.app.realtime.to('org:1').emit('hello', 1)
  const hello = (frame: { type: string, event?: string }): boolean => frame.type === 'event' && frame.event === 'hello'
  t.match(await onB.nextWhere(hello), { room: 'org:1' })
  onA.close()
  onB.close()
})

t.test('a logout during a session\'s setup is not lost to the room changes of ordinary traffic meanwhile', async (t) => {
  const { gate, callback } = hold<boolean>('alice', true)
  t.teardown(gate.release)
  const [node] = await startNodes(t, memoryCluster(), 1, { auth: { trusted: callback as (u: unknown) => Promise<boolean> } })
  const pending = open(node.wsUrl, { token: node.token('alice') })
  await gate.reached
  t.equal(await node.app.realtime.disconnectUser('alice'), true)
  for (let i = 0; i < 1100; i++) await node.app.realtime.in(`order:${i}`).join(`archive:${i}`)
  gate.release()
  const client = await pending
  const outcome = await Promise.race([client.closed.then(({ code }) => code), client.next('welcome').then(() => 'welcomed', () => 'closed')])
  t.equal(outcome, 1000, 'closed by the logout, never welcomed')
})

t.test('a session set up while more disconnects come by than are kept is told to try again (1013), not let in', async (t) => {
  const { gate, callback } = hold<boolean>('bob', true)
  t.teardown(gate.release)
  const [node] = await startNodes(t, memoryCluster(), 1, { auth: { trusted: callback as (u: unknown) => Promise<boolean> } })
  const pending = open(node.wsUrl, { token: node.token('bob') })
  await gate.reached
  for (let i = 0; i < 1025; i++) await node.app.realtime.disconnectUser(`someone-${i}`)
  gate.release()
  const client = await pending
  const outcome = await Promise.race([client.closed.then(({ code }) => code), client.next('welcome').then(() => 'welcomed', () => 'closed')])
  t.equal(outcome, 1013, 'try again later')
})
