import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { io } from 'socket.io-client'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { ClientEvents, ServerEvents } from '../examples/multi-tenant/event-map'
import { newClient, nextEvent } from './helpers/realtime-client'
import { startRedis } from './helpers/redis-server'

// Every example is plain CommonJS on the built package and exports `start(options)`; each is started
// here on a free port with a real client, so the examples cannot rot.
const EXAMPLES = join(__dirname, '..', 'examples')
const SECRET = 'examples-test-secret-long-enough-for-hs256'

interface Started { app: FastifyInstance, address: string }
type Start = (options: Record<string, unknown>) => Promise<Started>

async function startExample (t: Test, name: string, options: Record<string, unknown> = {}, file = 'server.js'): Promise<Started & { wsUrl: string, token: (claims: Record<string, unknown>) => string }> {
  const { start } = require(join(EXAMPLES, name, file)) as { start: Start }
  const started = await start({ port: 0, logLevel: 'warn', secret: SECRET, ...options })
  t.teardown(() => started.app.close())
  return {
    ...started,
    wsUrl: `${started.address.replace('http', 'ws')}/ws`,
    token: (claims) => started.app.jwt.sign(claims, { expiresIn: '1h' })
  }
}

/** Runs an example's worker script to its end, with the environment it documents. */
async function runScript (t: Test, path: string, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [path], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, `${path} exits cleanly`)
}

/** Starts a long-running worker script and resolves once it prints `readyLine`; killed when the test ends. */
async function startWorker (t: Test, path: string, env: Record<string, string>, readyLine: string): Promise<void> {
  const child = spawn(process.execPath, [path], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(async () => {
    if (child.exitCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => { if (line === readyLine) resolve() })
    child.once('exit', (code) => reject(new Error(`${path} exited with ${String(code)} before it was ready`)))
  })
}

async function post (url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return await response.json()
}

t.test('dashboard: an anonymous viewer subscribes to the dashboard and sees metrics pushed from a route, but may not follow a contract', async (t) => {
  const server = await startExample(t, 'dashboard')
  const viewer = newClient(t, { url: server.wsUrl })
  const welcome = await viewer.connect()
  t.equal(welcome.user, null, 'the viewer is anonymous')
  t.same(await viewer.emitWithAck('subscribe:dashboard'), { room: 'dashboard' })
  t.match(await viewer.emitWithAck('subscribe:contract', { contractId: 'c-7' }), { ok: false })

  const metrics = nextEvent(viewer, 'metrics:update')
  t.same(await post(`${server.address}/metrics`, { cpu: 0.42 }), { delivered: true })
  t.match(await metrics, { data: { cpu: 0.42 }, room: 'dashboard' })
})

t.test('dashboard: signed-in staff follow a contract and receive its commissions', async (t) => {
  const server = await startExample(t, 'dashboard')
  const staff = newClient(t, { url: server.wsUrl, token: server.token({ sub: 'ops-1' }) })
  await staff.connect()
  t.same(await staff.emitWithAck('subscribe:contract', { contractId: 'c-7' }), { room: 'contract:c-7' })
  const commission = nextEvent(staff, 'commission:created')
  await post(`${server.address}/contracts/c-7/commission`, { amount: 120 })
  t.match(await commission, { data: { contractId: 'c-7', amount: 120 }, room: 'contract:c-7' })
})

t.test('dashboard: job progress from the worker process reaches the dashboard through Redis', async (t) => {
  const redis = await startRedis(t)
  const server = await startExample(t, 'dashboard', { redis: redis.url })
  const viewer = newClient(t, { url: server.wsUrl })
  await viewer.connect()
  await viewer.emitWithAck('subscribe:dashboard')
  const done = new Promise<unknown>((resolve) => {
    viewer.on('job:progress', (data) => { if ((data as { percent: number }).percent === 100) resolve(data) })
  })
  await runScript(t, join(EXAMPLES, 'dashboard', 'worker.js'), { REDIS_URL: redis.url, STEPS: '2', STEP_MS: '10', JOB_ID: 'nightly' })
  t.same(await done, { jobId: 'nightly', percent: 100 })
})

t.test('notifications: the worker delivers each queued notification to its own user only', async (t) => {
  const redis = await startRedis(t)
  const server = await startExample(t, 'notifications', { redis: redis.url })
  await startWorker(t, join(EXAMPLES, 'notifications', 'worker.js'), { REDIS_URL: redis.url }, 'notification worker ready')
  const alice = newClient(t, { url: server.wsUrl, token: server.token({ sub: 'alice' }) })
  const bob = newClient(t, { url: server.wsUrl, token: server.token({ sub: 'bob' }) })
  await Promise.all([alice.connect(), bob.connect()])

  const aliceFirst = nextEvent(alice, 'notification:new')
  const bobFirst = nextEvent(bob, 'notification:new')
  // Bob's is queued first: had it leaked to alice, it would be the first she receives.
  t.same(await post(`${server.address}/users/bob/notifications`, { text: 'for bob' }), { queued: true })
  t.same(await post(`${server.address}/users/alice/notifications`, { text: 'for alice' }), { queued: true })
  t.match(await aliceFirst, { data: { text: 'for alice' } })
  t.match(await bobFirst, { data: { text: 'for bob' } })
})

t.test('trading: a screen subscribes to market-data:BTC/USD, receives its ticker and measures a ping', async (t) => {
  const server = await startExample(t, 'trading', { tickMs: 20 })
  const screen = newClient(t, { url: server.wsUrl, token: server.token({ sub: 'trader-1' }) })
  await screen.connect()
  t.same(await screen.emitWithAck('subscribe', { channel: 'market-data', symbols: ['BTC/USD'] }), { ok: true, rooms: ['market-data:BTC/USD'] })
  t.match(await screen.emitWithAck('subscribe', { channel: 'market-data', symbols: ['DOGE/EUR'] }), { ok: false, error: /DOGE\/EUR/ })
  t.match(await nextEvent(screen, 'ticker'), { data: { symbol: 'BTC/USD', price: Number }, room: 'market-data:BTC/USD' })
  t.type(await screen.ping(), 'number', 'ping resolves with the round trip')
})

t.test('trading: the 61st client message within a minute is refused RATE_LIMITED', async (t) => {
  const server = await startExample(t, 'trading')
  const screen = newClient(t, { url: server.wsUrl, token: server.token({ sub: 'trader-2' }) })
  await screen.connect()
  const answers = await Promise.allSettled(Array.from({ length: 61 }, async () => await screen.emitWithAck('unsubscribe', { channel: 'market-data', symbols: [] })))
  t.equal(answers.filter((answer) => answer.status === 'fulfilled').length, 60, 'sixty are answered')
  t.match(answers[60], { status: 'rejected', reason: { code: 'RATE_LIMITED' } })
})

t.test('commerce: staff auto-join company and shop rooms from their claims, see typing in an order room, and show up in the status routes', async (t) => {
  const server = await startExample(t, 'commerce')
  const ada = newClient(t, { url: server.wsUrl, token: server.token({ sub: 'ada', companyId: 'acme', shopId: '7' }) })
  const bo = newClient(t, { url: server.wsUrl, token: server.token({ sub: 'bo', companyId: 'acme', shopId: '8' }) })
  const [welcome] = await Promise.all([ada.connect(), bo.connect()])
  t.same([...welcome.rooms].sort(), ['company:acme', 'shop:7', 'user:ada'])

  await Promise.all([ada.join('order:1001'), bo.join('order:1001')])
  await t.rejects(ada.join('order:2001'), { code: 'FORBIDDEN' }, "another company's order is refused")
  await t.rejects(ada.join('inventory:8'), { code: 'FORBIDDEN' }, "another shop's inventory is refused")
  const typing = nextEvent(bo, 'typing')
  t.same(await ada.emitWithAck('typing', { room: 'order:1001', typing: true }), { ok: true })
  t.match(await typing, { data: { room: 'order:1001', userId: 'ada', typing: true } })

  t.same(await (await fetch(`${server.address}/user-status/ada`)).json(), { userId: 'ada', online: true })
  t.same(await (await fetch(`${server.address}/user-status/nobody`)).json(), { userId: 'nobody', online: false })
  const connected = await (await fetch(`${server.address}/connected-users`)).json() as { connections: number, users: string[] }
  t.same({ ...connected, users: connected.users.sort() }, { connections: 2, users: ['ada', 'bo'] })
  t.match(await (await fetch(`${server.address}/health`)).json(), { status: 'ok' })
})

t.test('multi-tenant: typed clients of one organisation see its project updates and cannot join another organisation\'s rooms', async (t) => {
  const server = await startExample(t, 'multi-tenant')
  const ana = newClient<ServerEvents, ClientEvents>(t, { url: server.wsUrl, token: server.token({ sub: 'ana', org: 'acme' }) })
  const ben = newClient<ServerEvents, ClientEvents>(t, { url: server.wsUrl, token: server.token({ sub: 'ben', org: 'globex' }) })
  const [welcome] = await Promise.all([ana.connect(), ben.connect()])
  t.ok(welcome.rooms.includes('org:acme'), 'ana is in her organisation\'s room')
  await ana.join('org:acme:project:apollo')
  await t.rejects(ben.join('org:acme:project:apollo'), { code: 'FORBIDDEN' })

  const updated = new Promise<Parameters<ServerEvents['project:updated']>[0]>((resolve) => { ana.on('project:updated', resolve) })
  const answer = await ana.emitWithAck('project:rename', { projectId: 'apollo', name: 'artemis' })
  t.same(answer, { ok: true })
  t.same(await updated, { orgId: 'acme', projectId: 'apollo', name: 'artemis', by: 'ana' })
})

t.test('cluster: a message posted to one node reaches a WebSocket client on the other node and a Socket.IO client on its own', async (t) => {
  const redis = await startRedis(t)
  const nodeA = await startExample(t, 'cluster', { redis: redis.url, name: 'node-a' }, 'node.js')
  const nodeB = await startExample(t, 'cluster', { redis: redis.url, name: 'node-b' }, 'node.js')
  const onA = newClient(t, { url: nodeA.wsUrl, token: nodeB.token({ sub: 'ws-user' }) })
  await onA.connect()
  await onA.join('news')
  const onB = io(nodeB.address, { auth: { token: nodeA.token({ sub: 'io-user' }) }, transports: ['websocket'], reconnection: false })
  t.teardown(() => onB.close())
  await new Promise<void>((resolve) => onB.once('welcome', () => resolve()))
  t.same(await onB.emitWithAck('join', 'news'), { ok: true })

  const overSocketIo = new Promise((resolve) => onB.once('message', resolve))
  const overWs = nextEvent(onA, 'message')
  t.same(await post(`${nodeB.address}/rooms/news/messages`, { text: 'hello' }), { delivered: true })
  t.match(await overWs, { data: { text: 'hello', via: 'node-b' }, room: 'news' })
  t.same(await overSocketIo, { text: 'hello', via: 'node-b' })
  t.match(await (await fetch(`${nodeA.address}/stats`)).json(), { node: 'node-a', clusterConnections: 2 })
})
