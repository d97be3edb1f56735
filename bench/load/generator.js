'use strict'
const { nowUs } = require('../lib/clock')
const { serveCommands, announceReady } = require('../lib/ipc')
const { createTokenSigner } = require('../lib/jwt')
const { placeClient } = require('../lib/layout')
const { quantiles } = require('../lib/stats')
const { RawClient } = require('./raw-client')

/*
 * The load generator: its own process, holding every bench client of one session. It opens
 * connections (each with its own JWT) and counts the event frames they receive; in the latency
 * scenario it also records, per frame, the time from the intended send time to its arrival.
 */

const MAX_LATENCY_SAMPLES = 4_000_000
const MAX_REPORTED_ERRORS = 5

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
 */
function connect ({ targets, layout, from, to, concurrency, timeoutMs }) {
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
        clients.push(new RawClient(sink, { ...targets[node], token: signToken(`u${index}`, room) }, (error) => {
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

serveCommands({
  connect,
  dropAll,
  storm,
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
