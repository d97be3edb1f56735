'use strict'
const config = require('../config')
const { nowUs } = require('../lib/clock')
const { serveCommands, announceReady } = require('../lib/ipc')

/*
 * What every server under test shares: the commands the bench sends it and the emit loops. A
 * server module only says how it emits one event to one room — the way its users would write it —
 * and the loops here call that in the same pattern for every server. Emits originate in the
 * server process itself, as they would from an app's route handler, so the load generator only
 * receives.
 */

function eventData (sequence, sendTimeUs) {
  return { n: sequence, t: sendTimeUs, text: config.PAYLOAD_TEXT }
}

/** Emits `burst` events per event-loop turn, cycling through `rooms`, for `durationMs`. */
function emitFor (emit, { rooms, burst, durationMs, maxEmits }) {
  return new Promise((resolve) => {
    const cpuStart = process.cpuUsage()
    const startUs = nowUs()
    const endUs = startUs + durationMs * 1000
    let sent = 0
    const turn = () => {
      const now = nowUs()
      for (let i = 0; i < burst && sent < maxEmits; i++, sent++) emit(rooms[sent % rooms.length], eventData(sent, now))
      if (now < endUs && sent < maxEmits) setImmediate(turn)
      else resolve({ emitted: sent, startUs, cpuStart })
    }
    setImmediate(turn)
  })
}

const SPIN_BEFORE_DUE_MS = 1.5
const FIRST_EMIT_DELAY_US = 2_000

/**
 * Emits one event per turn at a fixed rate; each carries the time it was meant to be sent, so a
 * server that falls behind is charged for the wait (no coordinated omission). Sleeps on a timer
 * until shortly before each send time, then polls with setImmediate for precision.
 */
function emitAtRate (emit, { room, ratePerSecond, durationMs }) {
  return new Promise((resolve) => {
    const intervalUs = 1e6 / ratePerSecond
    const count = Math.max(1, Math.floor(ratePerSecond * durationMs / 1000))
    const startUs = nowUs() + FIRST_EMIT_DELAY_US
    let sent = 0
    const step = () => {
      const dueUs = Math.round(startUs + sent * intervalUs)
      const now = nowUs()
      if (now >= dueUs) {
        emit(room, eventData(sent, dueUs))
        sent++
        if (sent === count) resolve({ emitted: sent, startUs })
        else setImmediate(step)
        return
      }
      const waitMs = (dueUs - now) / 1000
      if (waitMs > SPIN_BEFORE_DUE_MS + 1) setTimeout(step, waitMs - SPIN_BEFORE_DUE_MS)
      else setImmediate(step)
    }
    step()
  })
}

/**
 * Steady emits, for the reconnect storm with recovery: `ratePerSecond` emits per second, cycling
 * through `rooms`, until stopped. Each event also carries `o` (this node's index, `origin`) and
 * `s` (its number among this node's emits to that room), so a client can tell a lost, duplicated
 * or reordered event. Driven by a timer that emits whatever is due, so the rate holds on average
 * while the server is busy admitting a storm of handshakes (what fell behind goes out in the next
 * tick, at most MAX_STEADY_PER_TICK at a time).
 */
const STEADY_TICK_MS = 5
const MAX_STEADY_PER_TICK = 1_000
let steady = null

function steadyStart (emit, { rooms, ratePerSecond, origin }) {
  if (steady !== null) throw new Error('steady emits are already running')
  const perRoom = new Array(rooms.length).fill(0)
  const startUs = nowUs()
  const state = { perRoom, sent: 0, timer: null }
  state.timer = setInterval(() => {
    const now = nowUs()
    const due = Math.floor((now - startUs) * ratePerSecond / 1e6)
    for (let i = 0; state.sent < due && i < MAX_STEADY_PER_TICK; i++, state.sent++) {
      const room = state.sent % rooms.length
      emit(rooms[room], { ...eventData(state.sent, now), o: origin, s: perRoom[room]++ })
    }
  }, STEADY_TICK_MS)
  steady = state
  return {}
}

/** How many events each room has been sent so far (by this node). */
function steadyMarks () {
  if (steady === null) throw new Error('no steady emits running')
  return { emitted: steady.sent, perRoom: [...steady.perRoom] }
}

function steadyStop () {
  const marks = steadyMarks()
  clearInterval(steady.timer)
  steady = null
  return marks
}

function memory () {
  // Twice: the first full GC can leave finalised objects for the second to reclaim.
  global.gc()
  global.gc()
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, external, arrayBuffers }
}

/**
 * The listen queue every server asks for: Node's default (511) unless the session sets
 * BENCH_LISTEN_BACKLOG (the scale check does, for its reconnect storm; the kernel clamps it to
 * net.core.somaxconn).
 */
const LISTEN_BACKLOG = process.env.BENCH_LISTEN_BACKLOG === undefined ? undefined : Number(process.env.BENCH_LISTEN_BACKLOG)

/**
 * Runs a server under test: `start()` listens on 127.0.0.1 and resolves with `{ port, emit, close }`,
 * where `emit(room, data)` sends event `tick` with `data` to the members of `room`.
 */
async function runServer (start) {
  if (typeof global.gc !== 'function') throw new Error('bench servers run with --expose-gc')
  const server = await start()
  serveCommands({
    emitFor: (args) => emitFor(server.emit, args),
    emitAtRate: (args) => emitAtRate(server.emit, args),
    steadyStart: (args) => steadyStart(server.emit, args),
    steadyMarks,
    steadyStop,
    memory,
    cpu: () => process.cpuUsage(),
    close: async () => {
      await server.close()
      return {}
    }
  })
  announceReady({ port: server.port, pid: process.pid })
}

module.exports = { runServer, LISTEN_BACKLOG }
