import { once } from 'node:events'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import t from 'tap'
import { backoffDelay, isRecoverableClose } from '../lib/client'
import { ManualTimers } from './helpers/manual-timers'
import { newClient, nextEvent } from './helpers/realtime-client'

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
async function closedPort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

t.test('backoffDelay draws from [0, min(maxDelay, initialDelay × 2^(attempt-1))) (full jitter)', async (t) => {
  const policy = { initialDelay: 100, maxDelay: 1_000 }
  const half = (): number => 0.5
  t.same([1, 2, 3, 4, 5, 6, 50].map((attempt) => backoffDelay(attempt, policy, half)), [50, 100, 200, 400, 500, 500, 500])
  t.equal(backoffDelay(3, policy, () => 0), 0, 'the window starts at zero')
  t.equal(backoffDelay(3, policy, () => 0.999999), 399, 'and ends just below its ceiling')
  t.equal(backoffDelay(2_000, policy, () => 0.999999), 999, 'huge attempt numbers stay capped')
})

t.test('which close codes end reconnection', async (t) => {
  const reconnects = [1001, 1005, 1006, 1011, 4408, 4429]
  const stops = [1000, 1008, 1009, 4400, 4403]
  for (const code of reconnects) t.equal(isRecoverableClose(code, false), true, `${code} reconnects`)
  for (const code of stops) t.equal(isRecoverableClose(code, true), false, `${code} stops, even with a token provider`)
  t.equal(isRecoverableClose(4401, false), false, '4401 stops with a fixed token')
  t.equal(isRecoverableClose(4401, true), true, '4401 may reconnect with a token provider')
})

t.test('failed attempts are retried on the backoff schedule until maxAttempts, then the client gives up', async (t) => {
  const port = await closedPort()
  const timers = new ManualTimers()
  const client = newClient(t, {
    url: `ws://127.0.0.1:${port}/ws`,
    reconnect: { initialDelay: 100, maxDelay: 1_000, maxAttempts: 6 },
    random: () => 0.5,
    timers
  })
  const gaveUp = nextEvent(client, 'reconnect_failed')
  let scheduled = nextEvent(client, 'reconnecting')
  const connecting = client.connect()
  const delays: number[] = []
  for (let attempt = 1; attempt <= 6; attempt++) {
    const event = await scheduled
    t.match(event, { attempt, code: 1006 })
    t.same(timers.pendingDelays(), [event.delay], 'only the retry is scheduled; the failed attempt\'s connect timeout is cleared')
    delays.push(event.delay)
    if (attempt < 6) scheduled = nextEvent(client, 'reconnecting')
    timers.advance(event.delay)
  }
  t.same(delays, [50, 100, 200, 400, 500, 500])
  t.match(await gaveUp, { attempts: 6, code: 1006 })
  await t.rejects(connecting, { code: 'DISCONNECTED', close: { code: 1006 } })
  t.same(timers.pendingDelays(), [], 'nothing is left scheduled')
})

t.test('an attempt that gets no welcome within connectTimeout is abandoned and retried', async (t) => {
  // A TCP server that accepts and never answers the WebSocket handshake.
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => { sockets.add(socket) })
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => { for (const socket of sockets) socket.destroy(); silent.close() })
  const timers = new ManualTimers()
  const client = newClient(t, {
    url: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/ws`,
    connectTimeout: 2_000,
    reconnect: { initialDelay: 100, maxDelay: 100, maxAttempts: 1 },
    random: () => 0.5,
    timers
  })
  const scheduled = nextEvent(client, 'reconnecting')
  const connecting = client.connect()
  await once(silent, 'connection')
  t.same(timers.pendingDelays(), [2_000])
  timers.advance(2_000)
  t.match(await scheduled, { attempt: 1, delay: 50, code: 1006, reason: 'no welcome within 2000 ms' })
  const gaveUp = nextEvent(client, 'reconnect_failed')
  timers.advance(50)
  await once(silent, 'connection')
  timers.advance(2_000)
  t.match(await gaveUp, { attempts: 1, reason: 'no welcome within 2000 ms' })
  await t.rejects(connecting, { code: 'DISCONNECTED' })
})
