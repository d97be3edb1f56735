import http from 'node:http'
import t from 'tap'
import { startServer } from './helpers/app'
import { ENGINE_PATH, openSession } from './helpers/engine-http'
import { engineSession } from './helpers/socketio-flood'
import { trickle } from './helpers/socketio-flood-slow'

t.test('a long-poll POST whose body trickles is cut after pingTimeout, and its session with it', async (t) => {
  const pingTimeout = 1_000
  const server = await startServer(t, { socketio: { pingTimeout } })
  const { sid } = await openSession(server.httpUrl)
  const head = [
    `POST ${ENGINE_PATH}?EIO=4&transport=polling&sid=${sid} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`,
    'Content-Type: text/plain;charset=UTF-8', 'Content-Length: 1000', '', ''
  ].join('\r\n')
  // One byte every 100 ms would take 100 s to send the body; at most 100 are sent.
  const slow = await trickle(server.port, head, 'x', 100, 100)
  const lived = await slow.closedWithin(5_000)
  t.ok(lived >= pingTimeout - 100 && lived < pingTimeout + 2_000, `the socket was cut after ${lived} ms`)
  t.not(engineSession(server.app, sid)?.readyState ?? 'closed', 'open', 'the session no longer reads')
})

t.test('a POST whose body arrives in time is served as usual', async (t) => {
  const server = await startServer(t, { socketio: { pingTimeout: 1_000 } })
  const { sid } = await openSession(server.httpUrl)
  const response = await fetch(`${server.httpUrl}${ENGINE_PATH}?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '40/x,', headers: { 'content-type': 'text/plain;charset=UTF-8' } })
  t.equal(response.status, 200)
  t.equal(await response.text(), 'ok')
})

t.test("a handshake whose headers trickle is cut by Node's headersTimeout, when the app's server sets one", async (t) => {
  const headersTimeout = 1_000
  const server = await startServer(t, {}, {
    // What the README recommends, scaled down: Node checks the timeouts every connectionsCheckingInterval.
    serverFactory: (handler) => http.createServer({ headersTimeout, requestTimeout: 2_000, connectionsCheckingInterval: 100 }, handler)
  })
  const head = `GET ${ENGINE_PATH}?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`
  // A header line every 100 ms, never the blank line that ends them; at most 100.
  const slow = await trickle(server.port, head, 'X-Slow: y\r\n', 100, 100)
  const lived = await slow.closedWithin(5_000)
  t.ok(lived >= headersTimeout - 100 && lived < headersTimeout + 1_500, `the socket was cut after ${lived} ms`)
  t.match(slow.received(), /^HTTP\/1\.1 408/, 'answered 408 Request Timeout')
})
