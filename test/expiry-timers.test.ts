import t from 'tap'
import { ExpiryTimers, expiryTimers, type ExpiryListener } from '../lib/hub/expiry-timers'
import { startServer } from './helpers/app'
import { ioConnect } from './helpers/socketio-client'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

const INSTANT = 1_000
const SOON = 5

/** The expiry timers are unref'd, as a server's are; this keeps a test process alive until `until` settles. */
async function keepingAlive<T> (until: Promise<T>): Promise<T> {
  const keepAlive = setInterval(() => {}, 1_000)
  try {
    return await until
  } finally {
    clearInterval(keepAlive)
  }
}

/** A listener that records its name in `told` and can do something more when told. */
function listener (name: string, told: string[], then?: () => void): ExpiryListener {
  return { expiryDue: () => { told.push(name); then?.() } }
}

t.test('listeners of one instant are each told once, in the order they were added', async (t) => {
  const timers = new ExpiryTimers()
  const told: string[] = []
  await keepingAlive(new Promise<void>((resolve) => {
    timers.add(listener('a', told), INSTANT, SOON)
    timers.add(listener('b', told), INSTANT, SOON)
    timers.add(listener('c', told, resolve), INSTANT, SOON)
  }))
  t.same(told, ['a', 'b', 'c'])
})

t.test('a removed listener is not told, and an instant whose listeners all left starts afresh', async (t) => {
  const timers = new ExpiryTimers()
  const told: string[] = []
  const gone = listener('gone', told)
  timers.add(gone, INSTANT, SOON)
  timers.remove(gone, INSTANT)
  await keepingAlive(new Promise<void>((resolve) => timers.add(listener('later', told, resolve), INSTANT, SOON)))
  t.same(told, ['later'])
})

t.test('a listener told of its instant may register again for the same instant', async (t) => {
  const timers = new ExpiryTimers()
  const told: string[] = []
  await keepingAlive(new Promise<void>((resolve) => {
    const again: ExpiryListener = {
      expiryDue: () => {
        told.push('again')
        if (told.length === 1) timers.add(again, INSTANT, SOON)
        else resolve()
      }
    }
    timers.add(again, INSTANT, SOON)
  }))
  t.same(told, ['again', 'again'])
})

t.test('connections whose tokens expire in the same second are all closed with 4401', async (t) => {
  const server = await startServer(t)
  const exp = Math.floor(Date.now() / 1000) + 2
  const clients = await Promise.all(['1', '2', '3'].map(async (sub) => (await connect(server.wsUrl, { token: server.app.jwt.sign({ sub, exp }) })).client))
  const { client: lasting } = await connect(server.wsUrl, { token: server.token('4') })
  for (const client of clients) t.match(await client.closed, { code: 4401, reason: 'token expired' })
  t.match(await lasting.request({ type: 'ping' }), { type: 'pong' }, 'a connection with a later expiry stays')
  lasting.close()
})

t.test('a token refresh that finishes after its client left arms no timer, over either transport', async (t) => {
  let release: () => void = () => {}
  const verifying = new Promise<void>((resolve) => { release = resolve })
  let checks = 0
  // The handshakes pass at once; the refreshes wait, like a slow revocation lookup.
  const server = await startServer(t, { auth: { trusted: async () => { if (++checks > 2) await verifying; return true } } })
  const fresh = server.app.jwt.sign({ sub: '1' }, { expiresIn: '3h' })
  const { client } = await connect(server.wsUrl, { token: server.token('1') })
  const { client: io } = await ioConnect(t, server.httpUrl, { token: server.token('1'), transports: ['websocket'] })
  client.send(JSON.stringify({ type: 'auth', token: fresh, id: 'r' }))
  io.socket.emit('auth', fresh)
  await waitFor(() => checks === 4)
  client.close()
  io.close()
  await waitFor(async () => await server.app.realtime.count() === 0)
  release()
  // The refreshes' last steps are microtasks of the release; they are done by the next turn.
  await new Promise((resolve) => setImmediate(resolve))
  t.equal((expiryTimers as unknown as { groups: Map<number, unknown> }).groups.size, 0, 'no expiry timer holds a closed connection')
})
