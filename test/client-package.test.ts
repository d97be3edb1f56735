import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { startServer } from './helpers/app'

// These tests load the package the way users do, from the build: run `npm run build` (npm test does) first.
const ROOT = join(__dirname, '..')
const BUILT_CLIENT = join(ROOT, 'dist', 'client', 'index.js')
const run = promisify(execFile)

async function node (args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 20_000 })
  return stdout
}

t.before(() => {
  if (!existsSync(BUILT_CLIENT)) throw new Error(`${BUILT_CLIENT} is missing: run npm run build first`)
})

t.test('fastify-realtime/client resolves to the build and loads no dependency and no server file, only lib/protocol', async (t) => {
  const stdout = await node(['-e', `
    // Only what this require loads counts: a test runner may preload its own modules into children.
    const before = new Set(Object.keys(require.cache))
    const client = require('fastify-realtime/client')
    const loaded = Object.keys(require.cache).filter((file) => !before.has(file))
    console.log(JSON.stringify({ resolved: require.resolve('fastify-realtime/client'), exports: Object.keys(client), loaded }))
  `])
  const { resolved, exports, loaded } = JSON.parse(stdout) as { resolved: string, exports: string[], loaded: string[] }
  t.equal(resolved, BUILT_CLIENT)
  t.ok(exports.includes('createClient') && exports.includes('RealtimeClientError'))
  t.same(loaded.filter((file) => file.includes('node_modules')), [], 'no package from node_modules')
  const outside = loaded.filter((file) => !file.startsWith(join(ROOT, 'dist', 'client'))).map((file) => file.slice(ROOT.length))
  t.ok(outside.length > 0 && outside.every((file) => file.startsWith('/dist/protocol/')), `besides the client, only the protocol it shares with the server: ${outside.join(', ')}`)
})

t.test('with a global WebSocket (Node\'s --experimental-websocket, as in browsers) no WebSocket option is needed', async (t) => {
  const server = await startServer(t)
  const stdout = await node(['--experimental-websocket', '--no-warnings', '-e', `
    const { createClient } = require('fastify-realtime/client')
    const client = createClient({ url: process.env.REALTIME_URL, token: process.env.REALTIME_TOKEN })
    client.connect()
      .then(async (welcome) => {
        await client.join('lobby')
        console.log(JSON.stringify({ welcome, rooms: client.rooms, roundTrip: await client.ping() }))
      })
      .catch((err) => { console.error(err); process.exitCode = 1 })
      .finally(() => client.close())
  `], { REALTIME_URL: server.wsUrl, REALTIME_TOKEN: server.token('browser-like') })
  const result = JSON.parse(stdout) as { welcome: { user: { sub: string } }, rooms: string[], roundTrip: number }
  t.equal(result.welcome.user.sub, 'browser-like')
  t.same(result.rooms, ['lobby'])
  t.type(result.roundTrip, 'number')
})

t.test('a listener that throws surfaces as an uncaught error without stopping other listeners or the client', async (t) => {
  const server = await startServer(t)
  const stdout = await node(['-e', `
    const { createClient } = require('fastify-realtime/client')
    const client = createClient({ url: process.env.REALTIME_URL, token: process.env.REALTIME_TOKEN, WebSocket: require('ws') })
    process.on('uncaughtException', (err) => { console.log('uncaught: ' + err.message) })
    client.on('welcome', () => { throw new Error('bug in a listener') })
    client.on('welcome', () => { console.log('the next listener ran') })
    client.connect()
      .then(async () => { console.log('ping: ' + typeof await client.ping()) })
      .finally(() => client.close())
  `], { REALTIME_URL: server.wsUrl, REALTIME_TOKEN: server.token(1) })
  t.same(stdout.trim().split('\n').sort(), ['ping: number', 'the next listener ran', 'uncaught: bug in a listener'])
})

t.test("the client's quick start in docs/client.md runs and prints what the page says it prints", async (t) => {
  const doc = readFileSync(join(ROOT, 'docs', 'client.md'), 'utf8')
  const match = /^## Quick start[\s\S]*?```js\n([\s\S]*?)```[\s\S]*?It prints:\n\n```\n([\s\S]*?)```/m.exec(doc)
  if (match === null) throw new Error('docs/client.md has no client quick start followed by its output')
  const [, script, expectedOutput] = match
  t.equal(await node(['--input-type=module', '-e', script]), expectedOutput)
})
