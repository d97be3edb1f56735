import Fastify from 'fastify'
import t from 'tap'
import realtime, { type RealtimeOptions } from '../lib/index'
import { resolveOptions } from '../lib/options'

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
