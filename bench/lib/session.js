'use strict'
const fs = require('node:fs')
const path = require('node:path')
const config = require('../config')
const { Child } = require('./child')
const { SINGLE_NODE_CLIENTS, TWO_NODE_CLIENTS, manyRooms } = require('./layout')
const { redisCounter } = require('./redis')
const { slope } = require('./stats')

/*
 * One session: fresh server process(es) and a fresh load-generator process for one target, the
 * scenarios run in order against them, then everything is stopped. Returns one number per metric.
 */

const SERVERS_DIR = path.join(__dirname, '..', 'servers')
const GENERATOR = path.join(__dirname, '..', 'load', 'generator.js')
const CONNECT_TIMEOUT_MS = 60_000
const STARTUP_TIMEOUT_MS = 20_000
const MEMBERS_PER_ROOM = config.ROOM_CLIENTS / config.ROOMS
/** Time the server gets to handle a mass close before the next step of the scale check. */
const SETTLE_MS = 1_500

function cpuSeconds (from, to) {
  return (to.user - from.user + to.system - from.system) / 1e6
}

function withTimeout (promise, ms, what) {
  let timer
  const timeout = new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function connectAll (generator, targets, layout, from, to, { track = false } = {}) {
  const result = await generator.call('connect', {
    targets, layout, from, to, concurrency: config.HANDSHAKE_CONCURRENCY, timeoutMs: CONNECT_TIMEOUT_MS, track
  }, CONNECT_TIMEOUT_MS + 5_000)
  if (result.connected !== to - from) {
    throw new Error(`only ${result.connected} of ${to - from} clients connected: ${result.errors.join('; ')}`)
  }
  return result
}

/**
 * Servers emit for `durationMs` (bursts of `burst` per turn, cycling through `rooms`); the rate is
 * every frame the clients received over the time from the first emit to the last frame's arrival.
 */
async function emitAndCount (servers, generator, { rooms, burst, members, durationMs }) {
  const { cpu: generatorCpuStart } = await generator.call('arm', { latency: false })
  const emits = await Promise.all(servers.map((server) => server.call('emitFor', {
    rooms, burst, durationMs, maxEmits: config.MAX_EMITS
  })))
  const emitted = emits.reduce((sum, run) => sum + run.emitted, 0)
  const startUs = Math.min(...emits.map((run) => run.startUs))
  const arrived = await generator.call('wait', { expected: emitted * members, timeoutMs: config.DRAIN_TIMEOUT_MS }, config.DRAIN_TIMEOUT_MS + 5_000)
  if (!arrived.complete) throw new Error(`${arrived.received} of ${emitted * members} frames arrived within ${config.DRAIN_TIMEOUT_MS} ms`)
  const cpuEnds = await Promise.all(servers.map((server) => server.call('cpu')))
  const seconds = (arrived.lastUs - startUs) / 1e6
  const serverCpu = emits.reduce((sum, run, i) => sum + cpuSeconds(run.cpuStart, cpuEnds[i]), 0)
  return {
    value: arrived.received / seconds,
    emitted,
    emitsPerSecond: emitted / seconds,
    // Frames per second of server CPU: what the server costs per frame, whatever else ran meanwhile.
    perServerCpuSecond: arrived.received / serverCpu,
    serverCpu: serverCpu / seconds,
    generatorCpu: cpuSeconds(generatorCpuStart, arrived.cpu) / seconds
  }
}

async function throughput (servers, generator, spec) {
  await emitAndCount(servers, generator, { ...spec, durationMs: config.WARMUP_MS })
  return emitAndCount(servers, generator, { ...spec, durationMs: config.MEASURE_MS })
}

/** Connects every single-node client in equal steps, sampling memory after a forced GC at each. */
async function memoryAndHandshakes (server, generator, targets) {
  const step = SINGLE_NODE_CLIENTS / config.MEMORY_STEPS
  const connections = [0]
  const samples = [await server.call('memory')]
  let handshakeUs = 0
  for (let i = 0; i < config.MEMORY_STEPS; i++) {
    const result = await connectAll(generator, targets, 'single', i * step, (i + 1) * step)
    handshakeUs += result.elapsedUs
    connections.push((i + 1) * step)
    samples.push(await server.call('memory'))
  }
  return {
    handshake: { value: SINGLE_NODE_CLIENTS / (handshakeUs / 1e6) },
    memoryHeap: { value: slope(connections, samples.map((s) => s.heapUsed)) },
    memoryRss: { value: slope(connections, samples.map((s) => s.rss)) }
  }
}

async function emitAtRateAndWait (server, generator, ratePerSecond, durationMs) {
  await generator.call('arm', { latency: true })
  const { emitted } = await server.call('emitAtRate', { room: 'all', ratePerSecond, durationMs })
  const arrived = await generator.call('wait', { expected: emitted * config.FANOUT_CLIENTS, timeoutMs: config.DRAIN_TIMEOUT_MS }, config.DRAIN_TIMEOUT_MS + 5_000)
  if (!arrived.complete) throw new Error(`latency: ${arrived.received} of ${emitted * config.FANOUT_CLIENTS} frames arrived`)
}

/**
 * One emit per turn to `all` at a fixed rate; latency from each event's intended send time. The
 * garbage of the throughput scenarios is collected first and a short warm-up is discarded, so the
 * tail measures the fan-out, not what the scenarios before it left behind.
 */
async function latency (server, generator, ratePerSecond) {
  await server.call('memory')
  await emitAtRateAndWait(server, generator, ratePerSecond, config.WARMUP_MS)
  await emitAtRateAndWait(server, generator, ratePerSecond, config.LATENCY_MS)
  const result = await generator.call('latency')
  await generator.call('arm', { latency: false })
  return {
    latencyP50: { value: result.p50Us / 1000, ratePerSecond },
    latencyP99: { value: result.p99Us / 1000, ratePerSecond }
  }
}

function profileArgs (profileDir, name) {
  return profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
}

function startServer (target, index, env, profileDir) {
  const execArgv = ['--expose-gc', ...profileArgs(profileDir, `${target.id}-${index}`)]
  return new Child(path.join(SERVERS_DIR, target.server), { label: `${target.id}#${index}`, env, execArgv })
}

async function checkNoneDropped (generator) {
  const { closedAfterReady } = await generator.call('health')
  if (closedAfterReady > 0) throw new Error(`${closedAfterReady} clients were disconnected during the session`)
}

/**
 * Runs every scenario of one target. `context.latencyRate` is the offered emit rate of the
 * latency scenario (set from bare ws's single-emit maximum in this round); without it the
 * target's own single-emit maximum is used. With `context.profileDir`, servers write a CPU profile there.
 */
async function runSession (target, context) {
  const env = target.nodes === 2 ? { BENCH_REDIS_URL: context.redisUrl } : {}
  const servers = Array.from({ length: target.nodes }, (_, i) => startServer(target, i, env, context.profileDir))
  const generator = new Child(GENERATOR, { label: 'generator', execArgv: profileArgs(context.profileDir, `generator-for-${target.id}`) })
  try {
    const infos = await withTimeout(Promise.all(servers.map((server) => server.ready)), STARTUP_TIMEOUT_MS, `${target.id} startup`)
    await withTimeout(generator.ready, STARTUP_TIMEOUT_MS, 'generator startup')
    const targets = infos.map(({ port }) => ({ port, ...target.client }))
    const metrics = target.nodes === 2
      ? await twoNodeScenarios(servers, generator, targets, context)
      : await singleNodeScenarios(servers[0], generator, targets, context)
    await checkNoneDropped(generator)
    return metrics
  } finally {
    await generator.call('close').catch(() => {})
    await Promise.all([generator, ...servers].map((child) => child.stop()))
  }
}

async function singleNodeScenarios (server, generator, targets, context) {
  const metrics = await memoryAndHandshakes(server, generator, targets)
  metrics.burst = await throughput([server], generator, { rooms: ['all'], burst: config.BURST, members: config.FANOUT_CLIENTS })
  metrics.single = await throughput([server], generator, { rooms: ['all'], burst: 1, members: config.FANOUT_CLIENTS })
  metrics.rooms = await throughput([server], generator, { rooms: manyRooms(), burst: config.BURST, members: MEMBERS_PER_ROOM })
  const rate = context.latencyRate ?? config.LATENCY_LOAD * metrics.single.emitsPerSecond
  Object.assign(metrics, await latency(server, generator, rate))
  return metrics
}

/**
 * Many rooms over two nodes, and what the measurement cost Redis per emit: every command the
 * redis-server ran, and the CPU time it used, from just before the measurement's first emit until
 * its last frame arrived (both nodes' clients together, whatever they were for), divided by the
 * emits of both nodes.
 */
async function twoNodeScenarios (servers, generator, targets, context) {
  await connectAll(generator, targets, 'two-node', 0, TWO_NODE_CLIENTS)
  // Both nodes emit to every room in turn: half of each node's emits are for the other node's clients.
  const spec = { rooms: manyRooms(), burst: config.BURST, members: MEMBERS_PER_ROOM }
  const counter = redisCounter(context.redisUrl)
  try {
    await emitAndCount(servers, generator, { ...spec, durationMs: config.WARMUP_MS })
    const before = await counter.snapshot()
    const rooms2n = await emitAndCount(servers, generator, { ...spec, durationMs: config.MEASURE_MS })
    const { calls, cpuUs } = counter.between(before, await counter.snapshot())
    const perEmit = Object.fromEntries(Object.entries(calls).map(([command, count]) => [command, count / rooms2n.emitted]))
    const total = Object.values(calls).reduce((sum, count) => sum + count, 0)
    return {
      rooms2n,
      redisPerEmit: { value: total / rooms2n.emitted, perEmit },
      redisCpuPerEmit: { value: cpuUs / rooms2n.emitted }
    }
  } finally {
    await counter.close()
  }
}

/**
 * The scale check, in a session of its own (`--scale`): SCALE_CLIENTS connections on one node, all
 * in `all`, connected in equal steps with memory sampled after GC at each (0 included); then one
 * emit per turn to all of them; then every client is closed, STORM_CLIENTS connect afresh, and
 * the storm drops them all at once and times their reconnecting at once.
 */
async function runScaleSession (target, context) {
  const server = startServer(target, 0, { BENCH_LISTEN_BACKLOG: String(config.SCALE_LISTEN_BACKLOG) }, context.profileDir)
  const generator = new Child(GENERATOR, { label: 'generator', execArgv: profileArgs(context.profileDir, `generator-for-${target.id}`) })
  try {
    const [info] = await withTimeout(Promise.all([server.ready]), STARTUP_TIMEOUT_MS, `${target.id} startup`)
    await withTimeout(generator.ready, STARTUP_TIMEOUT_MS, 'generator startup')
    const targets = [{ port: info.port, ...target.client }]
    const metrics = {}

    const step = config.SCALE_CLIENTS / config.SCALE_STEPS
    const connections = [0]
    const samples = [await server.call('memory')]
    for (let i = 0; i < config.SCALE_STEPS; i++) {
      await connectAll(generator, targets, 'scale', i * step, (i + 1) * step)
      connections.push((i + 1) * step)
      samples.push(await server.call('memory'))
    }
    metrics.scaleHeap = { value: slope(connections, samples.map((s) => s.heapUsed)), heapUsed: samples.at(-1).heapUsed }
    metrics.scaleRss = { value: slope(connections, samples.map((s) => s.rss)), rss: samples.at(-1).rss }

    for (const [id, burst] of [['scaleFanout', 1], ['scaleBurst', config.BURST]]) {
      const spec = { rooms: ['all'], burst, members: config.SCALE_CLIENTS }
      await emitAndCount([server], generator, { ...spec, durationMs: config.WARMUP_MS })
      metrics[id] = await emitAndCount([server], generator, { ...spec, durationMs: config.SCALE_MEASURE_MS })
    }
    await checkNoneDropped(generator)

    // Down to STORM_CLIENTS fresh connections, with the server done closing the old ones.
    await generator.call('dropAll')
    await sleep(SETTLE_MS)
    await server.call('memory')
    await connectAll(generator, targets, 'scale', 0, config.STORM_CLIENTS)
    await sleep(SETTLE_MS)
    await server.call('memory')
    const overflowsBefore = listenOverflows()
    const storm = await generator.call('storm', { targets, timeoutMs: config.STORM_TIMEOUT_MS }, config.STORM_TIMEOUT_MS + 5_000)
    if (storm.connected !== config.STORM_CLIENTS) {
      throw new Error(`storm: only ${storm.connected} of ${config.STORM_CLIENTS} clients came back: ${storm.errors.join('; ')}`)
    }
    metrics.storm = { value: storm.elapsedUs / 1000, retries: storm.retries, listenOverflows: listenOverflows() - overflowsBefore }
    metrics.stormHalf = { value: storm.halfUs / 1000 }
    await checkNoneDropped(generator)
    return metrics
  } finally {
    await generator.call('close').catch(() => {})
    await Promise.all([generator, server].map((child) => child.stop()))
  }
}

/**
 * The reconnect storm with recovery, in a session of its own (`--recovery`): two nodes on the
 * bench's redis-server, ROOM_CLIENTS clients in ROOMS rooms (each room's members on one node),
 * each client reading its frames (load/delivery.js). Both nodes emit to every room at a steady
 * rate; after RECOVERY_WARMUP_MS every client is dropped at once and reconnects at once, resuming
 * from the last position (plugin) or offset (Socket.IO) it saw; the emits go on throughout and
 * for RECOVERY_TAIL_MS after, then every client's events are tallied against what was sent.
 */
async function runRecoverySession (target, context) {
  // The storm's 1,000 SYNs per node at once fit this queue (Node's default, 511, would drop some).
  const env = { BENCH_REDIS_URL: context.redisUrl, BENCH_LISTEN_BACKLOG: String(config.SCALE_LISTEN_BACKLOG) }
  const servers = Array.from({ length: target.nodes }, (_, i) => startServer(target, i, env, context.profileDir))
  const generator = new Child(GENERATOR, { label: 'generator', execArgv: profileArgs(context.profileDir, `generator-for-${target.id}`) })
  let emitting = false
  try {
    const infos = await withTimeout(Promise.all(servers.map((server) => server.ready)), STARTUP_TIMEOUT_MS, `${target.id} startup`)
    await withTimeout(generator.ready, STARTUP_TIMEOUT_MS, 'generator startup')
    const targets = infos.map(({ port }) => ({ port, ...target.client }))
    await connectAll(generator, targets, 'two-node', 0, TWO_NODE_CLIENTS, { track: true })

    const rooms = manyRooms()
    await Promise.all(servers.map((server, origin) => server.call('steadyStart', { rooms, ratePerSecond: config.RECOVERY_EMITS_PER_SECOND, origin })))
    emitting = true
    await sleep(config.RECOVERY_WARMUP_MS)
    // What each node had sent to each room just before the drop: a client has caught up once it has all of it.
    const marks = (await Promise.all(servers.map((server) => server.call('steadyMarks')))).map((sent) => sent.perRoom)
    const overflowsBefore = listenOverflows()
    const storm = await generator.call('recoveryStorm', {
      marks, timeoutMs: config.STORM_TIMEOUT_MS, catchUpMs: config.RECOVERY_CATCH_UP_MS
    }, config.STORM_TIMEOUT_MS + 5_000)
    const listenOverflowsDuring = listenOverflows() - overflowsBefore
    if (storm.back !== storm.clients) {
      throw new Error(`storm: only ${storm.back} of ${storm.clients} clients came back: ${storm.errors.join('; ')}`)
    }
    await sleep(config.RECOVERY_TAIL_MS)
    const sent = await Promise.all(servers.map((server) => server.call('steadyStop')))
    emitting = false
    const tally = await generator.call('recoveryTally', {
      counts: sent.map((node) => node.perRoom), timeoutMs: config.RECOVERY_TALLY_TIMEOUT_MS
    }, config.RECOVERY_TALLY_TIMEOUT_MS + 5_000)

    // A time is reported only when every client made it: all resumed, and all caught up.
    const metrics = { recoveryBack: { value: storm.backUs / 1000 } }
    if (storm.resumedUs !== null) metrics.recoveryResumed = { value: storm.resumedUs / 1000 }
    if (storm.caughtUpUs !== null) metrics.recoveryCaughtUp = { value: storm.caughtUpUs / 1000 }
    metrics.recoveryDetails = {
      clients: storm.clients,
      withoutResumePoint: storm.withoutResumePoint,
      resumed: storm.resumed,
      caughtUp: storm.caughtUp,
      retries: storm.retries,
      listenOverflows: listenOverflowsDuring,
      emitted: sent.reduce((sum, node) => sum + node.emitted, 0),
      expected: tally.expected,
      lost: tally.lost,
      clientsWithLoss: tally.clientsWithLoss,
      duplicated: tally.duplicated,
      clientsWithDuplicates: tally.clientsWithDuplicates,
      reordered: tally.reordered
    }
    return metrics
  } finally {
    if (emitting) await Promise.all(servers.map((server) => server.call('steadyStop').catch(() => {})))
    await generator.call('close').catch(() => {})
    await Promise.all([generator, ...servers].map((child) => child.stop()))
  }
}

/**
 * The kernel's count of connections dropped because a listen queue was full (TcpExt
 * ListenOverflows, for the whole network namespace: other work on the machine counts too).
 */
function listenOverflows () {
  try {
    const lines = fs.readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((line) => line.startsWith('TcpExt:'))
    const names = lines[0].split(/\s+/)
    const values = lines[1].split(/\s+/)
    return Number(values[names.indexOf('ListenOverflows')])
  } catch {
    return NaN
  }
}

function sleep (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

module.exports = { runSession, runScaleSession, runRecoverySession }
