import { once } from 'node:events'
import net from 'node:net'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import t, { type Test } from 'tap'
import realtime, { redactTokenFromUrl } from '../lib/index'
import { SECRET } from './helpers/app'
import { captureLogs } from './helpers/log-capture'
import { ioConnect } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

/** One request with the target exactly as written (fetch would re-encode it or drop a `#`). */
async function rawRequest (port: number, method: string, target: string): Promise<number> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  const closed = once(socket, 'close')
  socket.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  await closed
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString())?.[1] ?? 0)
}

const SID = 'SESSIONIDTHATMUSTNOTBELOGGED'

interface App {
  app: FastifyInstance
  port: number
  lines: string[]
  token: string
}

/**
 * An app with routes before and after the plugin, a child context with its own `req` serializer,
 * an app-wide `req` serializer of its own, and a route that logs its URL in a message.
 */
async function startApp (t: Test): Promise<App> {
  const logs = captureLogs()
  const app = Fastify({
    logger: {
      level: 'trace',
      stream: logs.stream,
      serializers: { req: (request: FastifyRequest) => ({ method: request.method, url: request.url, serializer: 'app' }) }
    }
  })
  app.get('/before', async () => 'before')
  await app.register(realtime, { jwt: { secret: SECRET } })
  app.get('/after', async (request) => {
    request.log.info(`handling ${request.url}`)
    request.log.info({ url: request.raw.url, query: request.query }, 'the app logs its own fields')
    return 'after'
  })
  await app.register(async (child) => {
    child.get('/child', async () => 'child')
  }, {
    // Fastify types serializers as returning strings; pino takes any value.
    logSerializers: { req: ((request: FastifyRequest) => ({ url: request.url, original: request.originalUrl, raw: request.raw.url, query: request.query, serializer: 'child' })) as unknown as (value: unknown) => string }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { app, port: address.port, lines: logs.lines, token: app.jwt.sign({ sub: '1' }, { expiresIn: '1h' }) }
}

/** What a log call's argument says: a message, or the URL of the request it carries. */
function readable (arg: unknown): string {
  if (typeof arg === 'string') return arg
  const request = (arg as { req?: { url?: unknown, raw?: { url?: unknown } } } | null)?.req
  return `${String(request?.url)} ${String(request?.raw?.url)}`
}

function leaks (lines: string[], secrets: string[]): string[] {
  return lines.filter((line) => secrets.some((secret) => line.includes(secret)))
}

t.test('tokens and sids stay out of the app\'s log on 404s, near-miss paths and the app\'s own routes', async (t) => {
  const { app, port, lines, token } = await startApp(t)
  const secrets = [token.split('.')[2], SID]
  const requests: Array<[string, string, number]> = [
    ['GET', `/nope?token=${token}&sid=${SID}`, 404],
    ['GET', `/ws/?token=${token}`, 404],
    ['GET', `/socket.io?EIO=4&transport=polling&token=${token}&sid=${SID}`, 404],
    ['POST', `/ws?token=${token}`, 404],
    ['GET', `/nope?%74oken=${token}&%73id=${SID}`, 404],
    ['GET', `/nope#&SID=${SID}`, 404],
    ['GET', `/before?token=${token}&sid=${SID}`, 200],
    ['GET', `/after?a=1&token=${token}&Sid=${SID}`, 200],
    ['GET', `/child?sid=${SID}&token=${token}`, 200]
  ]
  for (const [method, target, status] of requests) t.equal(await rawRequest(port, method, target), status, `${method} ${target.slice(0, 30)}`)
  await app.close()
  t.same(leaks(lines, secrets), [], 'no line carries a token or a sid')
  t.ok(lines.some((line) => line.includes('Route GET:/nope?token=[REDACTED]&sid=[REDACTED] not found')), 'the 404 message is redacted, not dropped')
  t.ok(lines.some((line) => line.includes('"url":"/before?token=[REDACTED]&sid=[REDACTED]","serializer":"app"')), 'a route registered before the plugin, through the app\'s own serializer')
  t.ok(lines.some((line) => line.includes('"url":"/after?a=1&token=[REDACTED]&Sid=[REDACTED]","serializer":"app"')), 'a route registered after it')
  t.ok(lines.some((line) => line.includes('handling /after?a=1&token=[REDACTED]&Sid=[REDACTED]')), 'the app\'s own message')
  t.ok(lines.some((line) => line.includes('"serializer":"child"') && line.includes('"token":"[REDACTED]"') && line.includes('"raw":"/child?sid=[REDACTED]')), 'a context with its own req serializer, which reads query and raw.url')
})

t.test('the sids of real Socket.IO sessions and the tokens of real clients stay out of the log', async (t) => {
  const { app, port, lines, token } = await startApp(t)
  const baseUrl = `http://127.0.0.1:${port}`
  const { client: polling } = await ioConnect(t, baseUrl, { token, transports: ['polling'] })
  await polling.request('join', 'room-a')
  const pollingSid = polling.socket.io.engine.id
  const { client: upgraded } = await ioConnect(t, baseUrl, { token })
  const upgradedSid = upgraded.socket.io.engine.id
  if (upgraded.transport !== 'websocket') await new Promise((resolve) => upgraded.socket.io.engine.once('upgrade', resolve))
  const { client: ws } = await connect(`ws://127.0.0.1:${port}/ws?token=${token}`)
  for (const client of [polling, upgraded]) client.close()
  ws.close()
  await ws.closed
  await app.close()
  t.ok(pollingSid !== undefined && upgradedSid !== undefined)
  t.same(leaks(lines, [token.split('.')[2], pollingSid, upgradedSid]), [], 'no line carries a token or a sid')
  t.ok(lines.some((line) => line.includes('sid=[REDACTED]')), 'the polling requests are logged, redacted')
})

t.test('an app\'s own logMethod hook still runs, after the redaction', async (t) => {
  const logs = captureLogs()
  const seen: unknown[] = []
  const app = Fastify({ logger: { level: 'info', stream: logs.stream, hooks: { logMethod (args, method) { seen.push(...args.map(readable)); method.apply(this, args) } } } })
  await app.register(realtime, { jwt: { secret: SECRET } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  await rawRequest(address.port, 'GET', `/x?sid=${SID}`)
  t.same(leaks(logs.lines, [SID]), [])
  t.ok(seen.length > 0, 'the app\'s hook ran')
  t.notOk(JSON.stringify(seen).includes(SID), 'and saw redacted arguments')
})

t.test('a logger that is not pino is redacted too', async (t) => {
  const written: string[] = []
  const makeLogger = (bindings: Record<string, unknown>): Record<string, unknown> => {
    const write = (...args: unknown[]): void => { written.push(JSON.stringify({ bindings, args: args.map(readable) })) }
    return { level: 'info', info: write, error: write, debug: write, fatal: write, warn: write, trace: write, silent: write, child: (more: Record<string, unknown>) => makeLogger({ ...bindings, ...more }) }
  }
  const app = Fastify({ loggerInstance: makeLogger({}) as never })
  await app.register(realtime, { jwt: { secret: SECRET } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  await rawRequest(address.port, 'GET', `/missing?token=abc.def.ghi&sid=${SID}`)
  t.same(leaks(written, [SID, 'ghi']), [])
  t.ok(written.some((line) => line.includes('/missing?token=[REDACTED]&sid=[REDACTED]')))
})

t.test('redactTokenFromUrl hides token and sid values however the name is written, and leaves the rest', async (t) => {
  t.equal(redactTokenFromUrl('/socket.io/?EIO=4&transport=polling&sid=abc&t=1'), '/socket.io/?EIO=4&transport=polling&sid=[REDACTED]&t=1')
  t.equal(redactTokenFromUrl('/x?%73id=a&SID=b&s%69d=c'), '/x?%73id=[REDACTED]&SID=[REDACTED]&s%69d=[REDACTED]')
  t.equal(redactTokenFromUrl('/x?side=1&sids=2&mysid=3'), '/x?side=1&sids=2&mysid=3')
  t.equal(redactTokenFromUrl('/x;sid=a?token=b#sid=c'), '/x;sid=[REDACTED]', 'a value runs to the next &, past separators other parsers use')
  t.equal(redactTokenFromUrl('/ws?token=abc&room=1#top'), '/ws?token=[REDACTED]&room=1#top')
})
