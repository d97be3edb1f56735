import Fastify from 'fastify'
import t from 'tap'
import realtime, { type RealtimeOptions } from '../lib/index'
import { resolveOptions } from '../lib/options'
import { startServer } from './helpers/app'
import { ioOpen } from './helpers/socketio-client'
import { waitFor } from './helpers/wait-for'

const invalid: Array<[unknown, string]> = [
  ['yes', 'socketio'],
  [{ path: 'no-slash' }, 'socketio.path'],
  [{ path: '/' }, 'socketio.path'],
  [{ namespace: 'chat' }, 'socketio.namespace'],
  [{ transports: [] }, 'socketio.transports'],
  [{ transports: ['webtransport'] }, 'socketio.transports'],
  [{ maxHttpBufferSize: 0 }, 'socketio.maxHttpBufferSize'],
  [{ pingInterval: 1.5 }, 'socketio.pingInterval'],
  [{ connectTimeout: '10s' }, 'socketio.connectTimeout'],
  [{ allowUpgrades: 'no' }, 'socketio.allowUpgrades'],
  [{ allowRequest: true }, 'socketio.allowRequest'],
  // Options that would break the shared rooms or the security defaults are refused, not ignored.
  [{ adapter: class {} }, 'socketio.adapter'],
  [{ allowEIO3: true }, 'socketio.allowEIO3'],
  [{ perMessageDeflate: true }, 'socketio.perMessageDeflate']
]

for (const [socketio, named] of invalid) {
  t.test(`fails at register time with a coded error naming ${named} for ${JSON.stringify(socketio) ?? String(socketio)}`, async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(async () => { await app.register(realtime, { jwt: { secret: 's' }, socketio } as RealtimeOptions).ready() }, {
      code: 'FST_REALTIME_INVALID_OPTION',
      message: new RegExp(`"${named.replace(/\./g, '\\.')}"`)
    })
  })
}

t.test('resolves Socket.IO defaults from the shared options', async (t) => {
  const { socketio } = resolveOptions({ maxPayload: 4096, heartbeatInterval: 1000 })
  t.match(socketio, {
    path: '/socket.io',
    namespace: '/',
    transports: ['polling', 'websocket'],
    maxHttpBufferSize: 4096,
    pingInterval: 1000,
    pingTimeout: 20_000,
    upgradeTimeout: 10_000,
    connectTimeout: 10_000,
    allowUpgrades: true
  })
  t.ok(Object.isFrozen(socketio))
})

t.test('keeps explicit Socket.IO options and drops a trailing slash from the path', async (t) => {
  const { socketio } = resolveOptions({ socketio: { path: '/rt/', transports: ['polling'], maxHttpBufferSize: 1_000_000, pingInterval: 5000 } })
  t.match(socketio, { path: '/rt', transports: ['polling'], maxHttpBufferSize: 1_000_000, pingInterval: 5000 })
})

t.test('socketio: false disables the endpoint', async (t) => {
  t.equal(resolveOptions({ socketio: false }).socketio, false)
})

t.test('socketio.welcome: false sends no welcome event; the client is admitted all the same', async (t) => {
  t.throws(() => resolveOptions({ socketio: { welcome: 'no' as unknown as boolean } }), { code: 'FST_REALTIME_INVALID_OPTION' })
  const server = await startServer(t, { socketio: { welcome: false }, autoJoin: () => ['room'] })
  const client = await ioOpen(t, server.httpUrl, { token: server.token('u1') })
  // No welcome to wait for: the room is joined once the hub counts the client in it.
  await waitFor(async () => await server.app.realtime.roomSize('room') === 1)
  await server.app.realtime.to('room').emit('first', 1)
  t.same(await client.next('first'), 1)
  t.notOk(client.pending().some(({ event }) => event === 'welcome'), 'no welcome event')
})
