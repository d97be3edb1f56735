import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import t from 'tap'
import { startServer } from './helpers/app'
import { waitFor } from './helpers/wait-for'
import { connect, open } from './helpers/ws-client'

t.test('pings every heartbeatInterval and terminates a client that never answers', async (t) => {
  const server = await startServer(t, { heartbeatInterval: 50 })
  const client = await open(server.wsUrl, { token: server.token(1), autoPong: false })
  const { code } = await client.closed
  t.equal(code, 1006, 'terminated without a close frame')
  t.ok(client.pings >= 1, 'it was pinged first')
  await waitFor(async () => await server.app.realtime.count() === 0)
  t.equal(await server.app.realtime.roomSize('user:1'), 0, 'room traffic no longer goes there')
})

t.test('keeps a client that answers pings', async (t) => {
  const server = await startServer(t, { heartbeatInterval: 30 })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  let pings = 0
  await new Promise<void>((resolve) => client.ws.on('ping', () => { if (++pings === 4) resolve() }))
  t.equal(client.ws.readyState, client.ws.OPEN, 'still open after four heartbeats')
  client.close()
})

t.test('closes the connection with 4401 when the token expires', async (t) => {
  const server = await startServer(t)
  const token = server.app.jwt.sign({ sub: '1', exp: Math.floor(Date.now() / 1000) + 2 })
  const { client } = await connect(server.wsUrl, { token })
  t.match(await client.closed, { code: 4401, reason: 'token expired' })
})

t.test('app.close() closes every client with 1001', async (t) => {
  const server = await startServer(t)
  const clients = await Promise.all([1, 2, 3].map(async (id) => (await connect(server.wsUrl, { token: server.token(id) })).client))
  await server.app.close()
  for (const client of clients) t.match(await client.closed, { code: 1001, reason: 'server shutdown' })
})

t.test('app.close() leaves no handle open: the process exits on its own', async (t) => {
  const script = resolve(__dirname, 'fixtures', 'close-exits.js')
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 })
  t.equal(result.status, 0, result.stderr)
  t.match(result.stdout, /closed with 1001/)
})
