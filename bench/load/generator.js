'use strict'
const { nowUs } = require('../lib/clock')
const { serveCommands, announceReady } = require('../lib/ipc')
const { createTokenSigner } = require('../lib/jwt')
const { placeClient, roomIndexOf } = require('../lib/layout')
const { quantiles } = require('../lib/stats')
const { RawClient } = require('./raw-client')
const { Delivery } = require('./delivery')

/*
 * The load generator: its own process, holding every bench client of one session. It opens
 * connections (each with its own JWT) and counts the event frames they receive; in the latency
 * scenario it also records, per frame, the time from the intended send time to its arrival.
 */

const MAX_LATENCY_SAMPLES = 4_000_000
const MAX_REPORTED_ERRORS = 5
/** How often the tally of the storm with recovery looks whether the last events have arrived. */
const TALLY_POLL_MS = 50

/** Where counted frames go: totals, the waiter for an expected total, latency samples. */
class Sink {
  constructor () {
    this.received = 0
    this.closedAfterReady = 0
    this.latency = false
    this.samples = new Float64Array(0)
    this.sampleCount = 0
    this.chunkTimeUs = -1
    this.expected = Infinity
    this.onReached = null
  }

  arm (latency) {
    this.received = 0
    this.latency = latency
    this.sampleCount = 0
    if (latency && this.samples.length === 0) this.samples = new Float64Array(MAX_LATENCY_SAMPLES)
  }

  /** One arrival time per chunk: the frames of one read arrived together. */
  onSendTime (sendTimeUs) {
    if (sendTimeUs < 0 || this.sampleCount === this.samples.length) return
    if (this.chunkTimeUs < 0) this.chunkTimeUs = nowUs()
    this.samples[this.sampleCount++] = this.chunkTimeUs - sendTimeUs
  }

  onCounted (count) {
    this.chunkTimeUs = -1
    this.received += count
    if (this.received >= this.expected && this.onReached !== null) this.onReached(nowUs())
  }

  /** Resolves once `expected` frames have arrived since `arm`, or at the deadline with what did. */
  waitFor (expected, timeoutMs) {
    return new Promise((resolve) => {
      const finish = (lastUs) => {
        clearTimeout(timer)
        this.expected = Infinity
        this.onReached = null
        resolve({ received: this.received, lastUs, complete: this.received >= expected, cpu: process.cpuUsage() })
      }
      const timer = setTimeout(() => finish(nowUs()), timeoutMs)
      this.expected = expected
      this.onReached = finish
      if (this.received >= expected) finish(nowUs())
    })
  }
}

const sink = new Sink()
const clients = []
const signToken = createTokenSigner()

/**
 * Opens clients `from` … `to - 1` of a layout, at most `concurrency` handshakes in flight, each
 * to the node its room lives on. Resolves when all have been admitted or refused, or at the deadline.
 * With `track`, each client reads its frames and keeps a Delivery (the storm with recovery).
 */
function connect ({ targets, layout, from, to, concurrency, timeoutMs, track = false }) {
  return new Promise((resolve) => {
    const startUs = nowUs()
    const errors = []
    let next = from
    let inFlight = 0
    let connected = 0
    let failed = 0
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve({ connected, failed, elapsedUs: nowUs() - startUs, errors })
    }
    const timer = setTimeout(() => {
      errors.push(`${to - from - connected - failed} handshakes unfinished after ${timeoutMs} ms`)
      finish()
    }, timeoutMs)
    const launch = () => {
      while (inFlight < concurrency && next < to) {
        const index = next++
        const { room, node } = placeClient(layout, index)
        inFlight++
        const delivery = track ? new Delivery(room, roomIndexOf(index)) : null
        clients.push(new RawClient(sink, { ...targets[node], token: signToken(`u${index}`, room), delivery }, (error) => {
          inFlight--
          if (error === null) connected++
          else {
            failed++
            if (errors.length < MAX_REPORTED_ERRORS) errors.push(`client ${index}: ${error}`)
          }
          if (connected + failed === to - from) finish()
          else if (!done) launch()
        }))
      }
    }
    launch()
  })
}

/** Closes every client on purpose (the server is not blamed for these closes). */
function dropAll () {
  const count = clients.length
  for (const client of clients) client.drop()
  clients.length = 0
  return { dropped: count }
}

/**
 * The reconnect storm: every client is dropped at once, then every one reconnects at once with
 * the token it had, with no limit on handshakes in flight. An attempt the server refused or reset
 * is made again at once, up to MAX_STORM_ATTEMPTS per client. Resolves with the time from the drop
 * until every client was admitted again (or at the deadline, with how many were).
 */
const MAX_STORM_ATTEMPTS = 10

function storm ({ targets, timeoutMs }) {
  const tokens = clients.map((client) => client.token)
  return new Promise((resolve) => {
    const startUs = nowUs()
    dropAll()
    const errors = []
    const backUs = new Float64Array(tokens.length)
    let connected = 0
    let retries = 0
    let gaveUp = 0
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      const elapsedUs = nowUs() - startUs
      const [halfUs] = connected === 0 ? [elapsedUs] : quantiles(backUs, connected, [0.5])
      resolve({ clients: tokens.length, connected, retries, gaveUp, elapsedUs, halfUs, errors })
    }
    const timer = setTimeout(() => {
      errors.push(`${tokens.length - connected - gaveUp} clients not back after ${timeoutMs} ms`)
      finish()
    }, timeoutMs)
    const open = (token, attempt) => {
      clients.push(new RawClient(sink, { ...targets[0], token }, (error) => {
        if (done) return
        if (error === null) backUs[connected++] = nowUs() - startUs
        else if (attempt < MAX_STORM_ATTEMPTS) {
          retries++
          open(token, attempt + 1)
          return
        } else {
          gaveUp++
          if (errors.length < MAX_REPORTED_ERRORS) errors.push(error)
        }
        if (connected + gaveUp === tokens.length) finish()
      }))
    }
    for (const token of tokens) open(token, 1)
  })
}

/**
 * The reconnect storm with recovery (clients connected with `track`): every client is dropped at
 * once (its socket destroyed, as when a network drops them) and reconnects at once to the node it
 * was on, with the token it had, resuming from where it was; no limit on handshakes in flight, and
 * an attempt refused or reset is made again at once, up to MAX_STORM_ATTEMPTS. Times, from the drop:
 * - `backUs`: until every client was admitted again;
 * - `resumedUs`: until every client was admitted with its room (or session) resumed, by the
 *   server's word (null if some client came back without);
 * - `caughtUpUs`: until, besides, every client had every event its room was sent before the drop
 *   (`marks`, per node and room, taken just before it), replayed or live; null if not all had
 *   within `catchUpMs` after the last one was back.
 * Resolves at the latest after `timeoutMs`.
 */
function recoveryStorm ({ marks, timeoutMs, catchUpMs }) {
  const previous = clients.slice()
  return new Promise((resolve) => {
    const startUs = nowUs()
    dropAll()
    const total = previous.length
    const withoutResumePoint = previous.filter((client) => !client.delivery.hasResumePoint()).length
    const errors = []
    let back = 0
    let resumed = 0
    let caughtUp = 0
    let retries = 0
    let gaveUp = 0
    let lastBackUs = 0
    let lastResumedUs = 0
    let lastCaughtUpUs = 0
    let done = false
    let graceTimer = null
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearTimeout(graceTimer)
      for (const client of previous) client.delivery.onEvent = null
      resolve({
        clients: total,
        withoutResumePoint,
        back,
        resumed,
        caughtUp,
        retries,
        gaveUp,
        backUs: back === total ? lastBackUs : null,
        resumedUs: resumed === total ? lastResumedUs : null,
        caughtUpUs: caughtUp === total ? lastCaughtUpUs : null,
        errors
      })
    }
    const timer = setTimeout(() => {
      errors.push(`${total - back - gaveUp} clients not back after ${timeoutMs} ms`)
      finish()
    }, timeoutMs)
    const checkCaughtUp = (state) => {
      if (state.caughtUp || !state.back || !state.delivery.resumed || !state.delivery.caughtUp(marks)) return
      state.caughtUp = true
      caughtUp++
      lastCaughtUpUs = nowUs() - startUs
      if (caughtUp === total) finish()
    }
    const onBack = () => {
      if (back + gaveUp < total) return
      // Every client has its answer: wait a bounded time for the replays still on their way.
      if (caughtUp < total) graceTimer = setTimeout(finish, catchUpMs)
    }
    for (const old of previous) {
      const state = { delivery: old.delivery, back: false, caughtUp: false }
      state.delivery.beginReconnect()
      state.delivery.onEvent = () => checkCaughtUp(state)
      const open = (attempt) => {
        clients.push(new RawClient(sink, { ...old.endpoint, token: old.token, delivery: old.delivery }, (error) => {
          if (done) return
          if (error === null) {
            state.back = true
            back++
            lastBackUs = nowUs() - startUs
            if (state.delivery.resumed) {
              resumed++
              lastResumedUs = lastBackUs
            }
            checkCaughtUp(state)
          } else if (attempt < MAX_STORM_ATTEMPTS) {
            retries++
            state.delivery.beginReconnect()
            open(attempt + 1)
            return
          } else {
            gaveUp++
            if (errors.length < MAX_REPORTED_ERRORS) errors.push(error)
          }
          onBack()
        }))
      }
      open(1)
    }
  })
}

/**
 * After the storm and the steady emits have stopped: waits (bounded) until every tracked client
 * has every event of `counts` (per node, per room: how many it sent), then counts, over all
 * clients, the events that never arrived, those that arrived twice and those that arrived after
 * a later one of the same node.
 */
function recoveryTally ({ counts, timeoutMs }) {
  // One Delivery per client, whatever number of connections (retries included) it took.
  const deliveries = [...new Set(clients.map((client) => client.delivery).filter((delivery) => delivery !== null))]
  const missing = () => deliveries.reduce((sum, delivery) => sum + delivery.missing(counts), 0)
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve) => {
    const check = () => {
      const lost = missing()
      if (lost > 0 && Date.now() < deadline) {
        setTimeout(check, TALLY_POLL_MS)
        return
      }
      resolve({
        clients: deliveries.length,
        expected: deliveries.reduce((sum, d) => sum + counts.reduce((perNode, perRoom) => perNode + perRoom[d.roomIndex], 0), 0),
        lost,
        clientsWithLoss: deliveries.filter((d) => d.missing(counts) > 0).length,
        duplicated: deliveries.reduce((sum, d) => sum + d.duplicates, 0),
        clientsWithDuplicates: deliveries.filter((d) => d.duplicates > 0).length,
        reordered: deliveries.reduce((sum, d) => sum + d.reordered, 0)
      })
    }
    check()
  })
}

serveCommands({
  connect,
  dropAll,
  storm,
  recoveryStorm,
  recoveryTally,
  arm: ({ latency }) => {
    sink.arm(latency)
    return { cpu: process.cpuUsage() }
  },
  wait: ({ expected, timeoutMs }) => sink.waitFor(expected, timeoutMs),
  latency: () => {
    const count = sink.sampleCount
    if (count === 0) return { count }
    const [p50, p90, p99, max] = quantiles(sink.samples, count, [0.5, 0.9, 0.99, 1])
    return { count, p50Us: p50, p90Us: p90, p99Us: p99, maxUs: max }
  },
  health: () => ({ clients: clients.length, closedAfterReady: sink.closedAfterReady }),
  close: () => {
    for (const client of clients) client.close()
    clients.length = 0
    return {}
  }
})
announceReady({ pid: process.pid })
