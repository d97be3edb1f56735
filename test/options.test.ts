import t from 'tap'
import Fastify from 'fastify'
import realtime, { type RealtimeOptions } from '../lib/index'

const invalid: Array<[string, unknown, string]> = [
  ['ws.path', { ws: { path: 'no-slash' } }, 'ws.path'],
  ['maxPayload', { maxPayload: 0 }, 'maxPayload'],
  ['heartbeatInterval', { heartbeatInterval: -1 }, 'heartbeatInterval'],
  ['maxRoomsPerConnection', { maxRoomsPerConnection: 1.5 }, 'maxRoomsPerConnection'],
  ['messageRateLimit', { messageRateLimit: { max: 'ten', timeWindow: 1000 } }, 'messageRateLimit.max'],
  ['connectionRateLimit', { connectionRateLimit: 'lots' }, 'connectionRateLimit'],
  ['allowedOrigins', { allowedOrigins: 'https://a.example' }, 'allowedOrigins'],
  ['allowedOrigins', { allowedOrigins: ['https://a.example/'] }, 'allowedOrigins'],
  ['allowedOrigins', { allowedOrigins: ['a.example'] }, 'allowedOrigins'],
  ['canJoin', { canJoin: true }, 'canJoin'],
  ['autoJoin', { autoJoin: ['dashboard'] }, 'autoJoin'],
  ['auth.required', { auth: { required: 'yes' } }, 'auth.required'],
  ['auth.trusted', { auth: { trusted: 'yes' } }, 'auth.trusted'],
  // Longer than a Node timer can wait: it would fire after 1 ms.
  ['heartbeatInterval', { heartbeatInterval: 2 ** 31 }, 'heartbeatInterval'],
  ['closeTimeout', { closeTimeout: 2 ** 31 }, 'closeTimeout'],
  ['clusterRequestTimeout', { clusterRequestTimeout: 2 ** 40 }, 'clusterRequestTimeout'],
  ['socketio.pingTimeout', { socketio: { pingTimeout: 2 ** 31 } }, 'socketio.pingTimeout']
]

for (const [name, options, named] of invalid) {
  t.test(`fails at register time with a coded error naming ${name}`, async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(async () => { await app.register(realtime, { jwt: { secret: 's' }, ...(options as RealtimeOptions) }).ready() }, {
      code: 'FST_REALTIME_INVALID_OPTION',
      message: new RegExp(`"${named.replace('.', '\\.')}"`)
    })
  })
}

t.test('fails at register time when auth is required and there is no JWT configuration', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(realtime, {}).ready() }, { code: 'FST_REALTIME_INVALID_OPTION', message: /"jwt"/ })
})

t.test('allowedOrigins takes origins of apps\' own schemes, as WebViews and extensions send them', async (t) => {
  for (const origin of ['capacitor://localhost', 'chrome-extension://abcdefghijklmnop', 'tauri://localhost', 'http://localhost:3000']) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(realtime, { jwt: { secret: 's' }, allowedOrigins: [origin] })
  }
})

t.test('registers without JWT in anonymous-only mode', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(realtime, { auth: { required: false } }).ready()
  t.ok(app.realtime)
})

t.test('ws: false registers no endpoint', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(realtime, { jwt: { secret: 's' }, ws: false }).ready()
  t.equal(app.hasRoute({ method: 'GET', url: '/ws' }), false)
})
