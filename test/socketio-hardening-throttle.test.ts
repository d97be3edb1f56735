import t from 'tap'
import { startServer } from './helpers/app'
import { ENGINE_PATH, openSession } from './helpers/engine-http'
import { rawGet, rawUpgradeStatus } from './helpers/socketio-flood-http'
import { ioServer } from './helpers/socketio-client'

const CRAFTED = 20

// Each of these carries the live sid where Fastify's query parser finds it, while engine.io's URL
// parser (which stops at `#`, keeps the last of repeated keys) may see none: a new session.
function craftedUrls (transport: string, sid: string): string[] {
  return [
    `${ENGINE_PATH}?EIO=4&transport=${transport}#&sid=${sid}`,
    `${ENGINE_PATH}?EIO=4&transport=${transport}&sid=${sid}&sid=`,
    `${ENGINE_PATH}?EIO=4&transport=${transport}&sid=&sid=${sid}`,
    `${ENGINE_PATH}?EIO=4&transport=${transport}&sid=${sid}#`,
    `${ENGINE_PATH}?EIO=4&transport=${transport}&%73id=${sid}`
  ]
}

for (const transport of ['polling', 'websocket']) {
  t.test(`crafted ${transport} URLs naming a live sid cannot open sessions past the handshake throttle`, async (t) => {
    const server = await startServer(t, { auth: { required: false }, connectionRateLimit: { max: 2, timeWindow: 60_000 } })
    const engine = ioServer(server.app).engine
    let opened = 0
    engine.on('connection', () => { opened++ })
    const { sid } = await openSession(server.httpUrl)
    const urls = craftedUrls(transport, sid)
    const statuses: number[] = []
    for (let i = 0; i < CRAFTED; i++) {
      const url = urls[i % urls.length]
      statuses.push(transport === 'polling' ? (await rawGet(server.port, url)).status : await rawUpgradeStatus(server.port, url))
    }
    // A 101 or 200 may also be the live session itself, upgraded or polled under a spelling both parsers agree on.
    t.ok(opened <= 2, `at most 2 sessions (the limit) were opened, found ${opened}`)
    t.ok(statuses.every((status) => [101, 200, 400, 429].includes(status)), `refused or throttled: ${statuses.join(',')}`)
  })
}

t.test('a URL the parsers read differently is refused with BAD_REQUEST even without a throttle', async (t) => {
  const server = await startServer(t, { auth: { required: false }, connectionRateLimit: false })
  const { sid } = await openSession(server.httpUrl)
  const hashed = await rawGet(server.port, `${ENGINE_PATH}?EIO=4&transport=polling#&sid=${sid}`)
  t.equal(hashed.status, 400)
  t.match(JSON.parse(hashed.body), { code: 'BAD_REQUEST' })
  const repeated = await rawGet(server.port, `${ENGINE_PATH}?EIO=4&transport=polling&sid=${sid}&sid=${sid}`)
  t.equal(repeated.status, 400)
  t.equal(await rawUpgradeStatus(server.port, `${ENGINE_PATH}?EIO=4&transport=websocket#&sid=${sid}`), 400)
  // An ordinary poll of the session still works.
  const ok = await rawGet(server.port, `${ENGINE_PATH}?EIO=4&transport=polling&sid=${sid}`)
  t.equal(ok.status, 200)
})
