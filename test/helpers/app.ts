import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Test } from 'tap'
import realtime, { type RealtimeOptions } from '../../lib/index'

export const SECRET = 'test-secret-that-is-long-enough-for-hs256'

export interface TestServer {
  app: FastifyInstance
  port: number
  /** http://127.0.0.1:port */
  httpUrl: string
  /** ws://127.0.0.1:port/ws */
  wsUrl: string
  /** A token for `sub`, valid for an hour unless `claims` says otherwise. */
  token: (sub: string | number, claims?: Record<string, unknown>) => string
  /**
   * A token for `sub` that expires `seconds` whole seconds after the current one (so in between
   * `seconds - 1` and `seconds` from now): `exp` counts whole seconds, and a token signed to expire
   * within one second would already be expired whenever the second turns before it is checked.
   */
  expiringToken: (sub: string | number, seconds?: number) => string
}

/** Builds an app with the plugin on a free port of 127.0.0.1 and closes it when the test ends. */
export async function startServer (t: Test, options: RealtimeOptions = {}, fastifyOptions: FastifyServerOptions = {}, setup?: (app: FastifyInstance) => void | Promise<void>): Promise<TestServer> {
  const app = Fastify(fastifyOptions)
  await app.register(realtime, { jwt: { secret: SECRET }, ...options })
  await setup?.(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('server has no port')
  const path = options.ws === false ? '/ws' : options.ws?.path ?? '/ws'
  return {
    app,
    port: address.port,
    httpUrl: `http://127.0.0.1:${address.port}`,
    wsUrl: `ws://127.0.0.1:${address.port}${path}`,
    token: (sub, claims = {}) => app.jwt.sign({ sub, ...claims }, { expiresIn: '1h' }),
    expiringToken: (sub, seconds = 2) => app.jwt.sign({ sub, exp: Math.floor(Date.now() / 1000) + seconds })
  }
}
