'use strict'
/*
 * `npm run bench:presence`: what presence costs on Redis. Two plugin nodes in this process over one
 * throwaway redis-server, raw WebSocket clients:
 *
 * - a join and a leave: the Redis commands the node sends for each (INFO commandstats, with the
 *   commands each script runs inside Redis), and the time from the client's frame to the
 *   `presence:join` / `presence:leave` an observer on the other node receives, one at a time
 *   (p50, p99) and as a burst of every client at once. Every member gets every event, so these
 *   times include fanning each event out to the room's members (sockets of this same process);
 * - a 10,000-member room: presenceStats (commands, p50, p99), presence() (capped at listLimit),
 *   and a join into it, which costs what a join into a small room costs.
 *
 * The nodes' heartbeat is set far beyond the run, so no presence heartbeat is counted among the
 * commands. Options: --clients N (default 300), --room-size N (default 10000). Prints a markdown table.
 */
const { performance } = require('node:perf_hooks')
const Fastify = require('fastify')
const WebSocket = require('ws')
const realtime = require('../dist/index.js')
const { userKeyOf } = require('../dist/presence/presence-member.js')
const { SECRET } = require('./lib/jwt')
const { startRedis, redisCounter } = require('./lib/redis')

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const index = args.indexOf(name)
  return index === -1 ? fallback : Number(args[index + 1])
}
const CLIENTS = option('--clients', 300)
const ROOM_SIZE = option('--room-size', 10_000)
const STATS_CALLS = 1000
const LIST_CALLS = 50
const QUIET_HEARTBEAT = 600_000
/** A room without presence events: its joins cost the store alone, no fan-out. */
const QUIET_ROOM = 'bench:quiet'
const SILENT_LOG = { debug () {}, info () {}, warn () {}, error () {} }

async function startNode (redisUrl) {
  const bus = new realtime.RedisBus({ redis: redisUrl, nodeHeartbeatInterval: QUIET_HEARTBEAT })
  const app = Fastify({ logger: false })
  const presence = { events: (room) => room !== QUIET_ROOM }
  await app.register(realtime, { jwt: { secret: SECRET }, bus, presence, connectionRateLimit: false, messageRateLimit: false, maxRoomsPerConnection: 10 })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    app,
    url: `ws://127.0.0.1:${app.server.address().port}/ws`,
    token: (sub) => app.jwt.sign({ sub }, { expiresIn: '1h' }),
    close: async () => {
      await app.close()
      await bus.close()
    }
  }
}

/** A raw WebSocket client that hands each frame to whoever waits for one like it. */
async function connect (node, user) {
  const socket = new WebSocket(node.url, ['realtime.v1', `bearer.${node.token(user)}`])
  const waiting = []
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data))
    const index = waiting.findIndex(({ match }) => match(frame))
    if (index !== -1) waiting.splice(index, 1)[0].resolve(frame)
  })
  const client = {
    send: (frame) => socket.send(JSON.stringify(frame)),
    next: (match) => new Promise((resolve) => waiting.push({ match, resolve })),
    close: () => socket.close()
  }
  await client.next((frame) => frame.type === 'welcome')
  return client
}

const presenceOf = (event, user) => (frame) => frame.type === 'event' && frame.event === event && frame.data.userId === user

function percentile (sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

function timing (samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  return `p50 ${(percentile(sorted, 0.5) * 1000).toFixed(0)} µs, p99 ${(percentile(sorted, 0.99) * 1000).toFixed(0)} µs`
}

/**
 * Commands per operation from a commandstats difference, the script calls first; those rarer than
 * one in a hundred operations (a script's first load, the SADD of a node's first member) left out.
 */
function perOperation (calls, operations) {
  const entries = Object.entries(calls)
    .filter(([, count]) => count / operations >= 0.01)
    .sort(([a], [b]) => (a === 'evalsha' ? -1 : b === 'evalsha' ? 1 : a.localeCompare(b)))
  return entries.map(([command, count]) => `${command} ${(count / operations).toFixed(2)}`).join(', ')
}

/** The node's own commands: script calls and the SADD/SREM beside them (what runs inside a script is counted apart). */
function sentPerOperation (calls, operations) {
  const sent = (calls.evalsha ?? 0) + (calls.eval ?? 0) + (calls.sadd ?? 0) + (calls.srem ?? 0)
  return (sent / operations).toFixed(2)
}

async function measureJoinsAndLeaves (a, b, counter, rows) {
  const room = 'bench:presence'
  const observer = await connect(b, 'observer')
  observer.send({ type: 'join', room, id: 'j' })
  await observer.next(presenceOf('presence:join', 'observer'))
  const clients = []
  for (let i = 0; i < CLIENTS; i++) clients.push(await connect(a, `user-${i}`))

  for (const [change, event] of [['join', 'presence:join'], ['leave', 'presence:leave']]) {
    const before = await counter.snapshot()
    const samples = []
    for (const [i, client] of clients.entries()) {
      const seen = observer.next(presenceOf(event, `user-${i}`))
      const started = performance.now()
      client.send({ type: change, room })
      await seen
      samples.push(performance.now() - started)
    }
    const { calls, cpuUs } = counter.between(before, await counter.snapshot())
    rows.push([`a ${change}, one at a time (${CLIENTS} users; each event reaches every member, up to ${CLIENTS} sockets in this process)`, `${sentPerOperation(calls, CLIENTS)} sent; in Redis: ${perOperation(calls, CLIENTS)}`, `${timing(samples)}; Redis CPU ${(cpuUs / CLIENTS).toFixed(0)} µs`])
  }

  for (const [change, event] of [['join', 'presence:join'], ['leave', 'presence:leave']]) {
    const seen = Promise.all(clients.map((_, i) => observer.next(presenceOf(event, `user-${i}`))))
    const started = performance.now()
    for (const client of clients) client.send({ type: change, room })
    await seen
    const elapsed = performance.now() - started
    rows.push([`${CLIENTS} ${change}s at once`, '', `all announced on the other node in ${elapsed.toFixed(0)} ms (${Math.round(CLIENTS / elapsed * 1000)}/s)`])
  }
  for (const [change, users] of [['join', CLIENTS], ['leave', 0]]) {
    const started = performance.now()
    for (const client of clients) client.send({ type: change, room: QUIET_ROOM })
    // No event to wait for: the other node's count is the proof (each poll is one O(1) script).
    for (let polls = 0; (await b.app.realtime.presenceStats(QUIET_ROOM)).users !== users; polls++) {
      if (polls > 100_000) throw new Error('the quiet room never got there')
    }
    const elapsed = performance.now() - started
    rows.push([`${CLIENTS} ${change}s at once, room without events`, '', `counted on the other node in ${elapsed.toFixed(0)} ms (${Math.round(CLIENTS / elapsed * 1000)}/s)`])
  }
  for (const client of clients) client.close()
  observer.close()
}

async function measureLargeRoom (a, counter, rows) {
  const room = 'bench:large'
  // The members are added by a node of their own with the store itself (the scripts a join runs),
  // without 10,000 sockets; that node's heartbeat never comes, as the others'.
  const filler = new realtime.RedisBus({ redis: process.env.BENCH_PRESENCE_REDIS, nodeHeartbeatInterval: QUIET_HEARTBEAT })
  const store = filler.presenceStore()
  await filler.attach({ id: 'bench-filler', listener () {}, log: SILENT_LOG, subscribeTimeout: 1000, history: undefined, resynced () {}, delivered: () => false })
  await store.start({ id: 'bench-filler', log: SILENT_LOG, announces: () => false, deliver () {}, restore () {}, retry () {} })
  const joinedAt = Date.now()
  for (let start = 0; start < ROOM_SIZE; start += 1000) {
    const batch = []
    for (let i = start; i < Math.min(ROOM_SIZE, start + 1000); i++) {
      const connectionId = `$c:filler-${i}`
      const userId = `member-${i}`
      batch.push(store.add(room, {
        connectionId,
        userId,
        userKey: userKeyOf(userId, connectionId),
        entryJson: JSON.stringify({ id: connectionId, transport: 'ws', info: { name: `Member ${i}` }, joinedAt }),
        infoJson: JSON.stringify({ name: `Member ${i}` })
      }))
    }
    await Promise.all(batch)
  }

  let before = await counter.snapshot()
  let samples = []
  let stats
  for (let i = 0; i < STATS_CALLS; i++) {
    const started = performance.now()
    stats = await a.app.realtime.presenceStats(room)
    samples.push(performance.now() - started)
  }
  let { calls } = counter.between(before, await counter.snapshot())
  rows.push([`presenceStats, ${stats.users} members`, `${sentPerOperation(calls, STATS_CALLS)} sent; in Redis: ${perOperation(calls, STATS_CALLS)}`, timing(samples)])

  before = await counter.snapshot()
  samples = []
  let listed
  for (let i = 0; i < LIST_CALLS; i++) {
    const started = performance.now()
    listed = await a.app.realtime.presence(room)
    samples.push(performance.now() - started)
  }
  ;({ calls } = counter.between(before, await counter.snapshot()))
  rows.push([`presence(), ${stats.users} members`, `${sentPerOperation(calls, LIST_CALLS)} sent; in Redis: ${perOperation(calls, LIST_CALLS)}`, `${timing(samples)}; ${listed.length} users listed (listLimit)`])

  const observer = await connect(a, 'large-observer')
  observer.send({ type: 'join', room })
  await observer.next(presenceOf('presence:join', 'large-observer'))
  samples = []
  const joiners = 50
  const late = []
  for (let i = 0; i < joiners; i++) late.push(await connect(a, `late-${i}`))
  before = await counter.snapshot()
  for (const [i, client] of late.entries()) {
    const seen = observer.next(presenceOf('presence:join', `late-${i}`))
    const started = performance.now()
    client.send({ type: 'join', room })
    await seen
    samples.push(performance.now() - started)
  }
  ;({ calls } = counter.between(before, await counter.snapshot()))
  rows.push([`a join into the ${stats.users}-member room (${joiners}; the member is on the same node, the event comes through Redis)`, `${sentPerOperation(calls, joiners)} sent; in Redis: ${perOperation(calls, joiners)}`, timing(samples)])
  samples = []
  before = await counter.snapshot()
  for (const [i, client] of late.entries()) {
    const seen = observer.next(presenceOf('presence:leave', `late-${i}`))
    const started = performance.now()
    client.send({ type: 'leave', room })
    await seen
    samples.push(performance.now() - started)
  }
  ;({ calls } = counter.between(before, await counter.snapshot()))
  rows.push([`a leave of the ${stats.users + joiners}-member room (${joiners})`, `${sentPerOperation(calls, joiners)} sent; in Redis: ${perOperation(calls, joiners)}`, timing(samples)])
  for (const client of late) client.close()
  observer.close()
  await store.stop()
  await filler.close()
}

async function main () {
  const redis = await startRedis()
  process.env.BENCH_PRESENCE_REDIS = redis.url
  const counter = redisCounter(redis.url)
  const a = await startNode(redis.url)
  const b = await startNode(redis.url)
  const rows = []
  try {
    await measureJoinsAndLeaves(a, b, counter, rows)
    await measureLargeRoom(a, counter, rows)
  } finally {
    await a.close()
    await b.close()
    await counter.close()
    await redis.stop()
  }
  console.log(`Presence on Redis, two nodes in one process, node ${process.version}\n`)
  console.log('| operation | Redis commands per operation | time |')
  console.log('| --- | --- | --- |')
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
