import t from 'tap'
import Fastify from 'fastify'
import realtime, { type RealtimeOptions } from '../lib/index'

// Options the plugin does not know are refused at register time, naming them, rather than ignored.
const unknown: Array<[unknown, RegExp]> = [
  [{ heartbeatIntervall: 1000 }, /unknown option "heartbeatIntervall" \(did you mean "heartbeatInterval"\?\)/],
  [{ auth: { requierd: false } }, /unknown option "auth\.requierd" \(did you mean "auth\.required"\?\)/],
  [{ ws: { paht: '/x' } }, /unknown option "ws\.paht" \(did you mean "ws\.path"\?\)/],
  [{ messageRateLimit: { max: 1, timeWindow: 1000, window: 5 } }, /unknown option "messageRateLimit\.window"/],
  [{ socketio: { adapter: {} } }, /unknown option "socketio\.adapter" \(the known options are socketio\.path, /],
  [{ somethingElse: true }, /unknown option "somethingElse" \(the known options are jwt, auth, /]
]

for (const [options, message] of unknown) {
  t.test(`refuses ${JSON.stringify(options)} at register time`, async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(async () => { await app.register(realtime, { jwt: { secret: 's' }, ...(options as RealtimeOptions) }).ready() }, {
      code: 'FST_REALTIME_INVALID_OPTION',
      message
    })
  })
}

t.test('a missing JWT secret (an unset JWT_SECRET) fails with the plugin\'s own error, naming jwt.secret', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const secret: string | undefined = undefined
  await t.rejects(async () => { await app.register(realtime, { jwt: { secret } }).ready() }, {
    code: 'FST_REALTIME_INVALID_OPTION',
    message: /option "jwt\.secret" must be set/
  })
})

t.test('Fastify\'s own register options are not taken for unknown ones', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(realtime, { jwt: { secret: 's' }, logLevel: 'warn' } as RealtimeOptions).ready()
  t.ok(app.realtime)
})

t.test('createEmitter with an unset REDIS_URL fails naming redis', async (t) => {
  const { createEmitter } = await import('../lib/emitter')
  t.throws(() => createEmitter({ redis: process.env.FASTIFY_REALTIME_UNSET_VARIABLE }), { code: 'FST_REALTIME_INVALID_OPTION', message: /option "redis" must be set/ })
})

t.test('refusals read as sentences: "must not be", and the reserved names listed', async (t) => {
  const { invalidArgument } = await import('../lib/errors')
  t.equal(invalidArgument('room', 'not the user: room of another user').message, 'fastify-realtime: room must not be the user: room of another user')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(realtime, { jwt: { secret: 's' } })
  t.throws(() => app.realtime.on('connect', () => undefined), {
    code: 'FST_REALTIME_INVALID_ARGUMENT',
    message: /^fastify-realtime: event must be a non-empty string of at most 100 characters without control characters, and none of the reserved names connect, connect_error, /
  })
})
