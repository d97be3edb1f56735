import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { startServer } from './helpers/app'
import { newClient, nextEvent } from './helpers/realtime-client'

interface MisbehavingServer {
  url: string
  /** The server side of the one connected client. */
  socket: () => WebSocket
  /** The next frame the client sends. */
  nextFrame: () => Promise<Record<string, unknown>>
}

/**
 * A bare `ws` server standing in for the plugin, to send the client what a correct server never
 * does. It selects `realtime.v1` and sends a welcome; the test sends the rest.
 */
async function misbehavingServer (t: Test): Promise<MisbehavingServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'realtime.v1' })
  await once(server, 'listening')
  t.teardown(() => { for (const socket of server.clients) socket.terminate(); server.close() })
  server.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'welcome', connectionId: 'c1', user: null, rooms: [] }))
  })
  const socket = (): WebSocket => [...server.clients][0]
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`,
    socket,
    nextFrame: async () => {
      const [data] = await once(socket(), 'message') as [Buffer]
      return JSON.parse(data.toString()) as Record<string, unknown>
    }
  }
}

t.test('unreadable server frames are reported as PROTOCOL_ERROR and the client carries on', async (t) => {
  const server = await misbehavingServer(t)
  const client = newClient(t, { url: server.url, reconnect: false })
  await client.connect()
  const pinged = server.nextFrame()
  const roundTrip = client.ping()
  const frame = await pinged
  const socket = server.socket()
  const garbage: Array<[string | Buffer, RegExp]> = [
    ['not json', /not valid JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"type":"surprise"}', /"surprise" has an unexpected shape/],
    ['{"type":"event","event":42}', /"event" has an unexpected shape/],
    [Buffer.from('binary'), /binary frame/]
  ]
  for (const [data, message] of garbage) {
    const reported = nextEvent(client, 'error')
    socket.send(data, { binary: Buffer.isBuffer(data) })
    t.match(await reported, { code: 'PROTOCOL_ERROR', message })
  }
  socket.send(JSON.stringify({ type: 'pong', id: frame.id }))
  t.type(await roundTrip, 'number', 'the connection still works')
})

t.test('an answer the client cannot read rejects the request it answers with PROTOCOL_ERROR', async (t) => {
  const server = await misbehavingServer(t)
  const client = newClient(t, { url: server.url, reconnect: false })
  await client.connect()
  const sent = server.nextFrame()
  const request = client.emitWithAck('x', {})
  const frame = await sent
  server.socket().send(JSON.stringify({ type: 'error', id: frame.id, code: 'NEW_CODE_FROM_THE_FUTURE', message: 'no' }))
  await t.rejects(request, { code: 'PROTOCOL_ERROR', message: /unknown error code "NEW_CODE_FROM_THE_FUTURE"/ })
})

t.test('a second welcome on one connection is reported, not taken as a reconnect', async (t) => {
  const server = await misbehavingServer(t)
  const client = newClient(t, { url: server.url, reconnect: false })
  const first = await client.connect()
  const reported = nextEvent(client, 'error')
  server.socket().send(JSON.stringify({ type: 'welcome', connectionId: 'c2', user: null, rooms: [] }))
  t.match(await reported, { code: 'PROTOCOL_ERROR', message: /second welcome/ })
  t.equal(client.connectionId, first.connectionId)
})

t.test('a token that cannot be a subprotocol makes connect() reject without retrying', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: 'not a token, has spaces', reconnect: { initialDelay: 10, maxDelay: 10 } })
  const reported = nextEvent(client, 'error')
  const error = await client.connect().catch((err: unknown) => err)
  t.match(error, { code: 'INVALID_OPTION', message: /WebSocket constructor refused/ })
  t.type((error as Error).cause, SyntaxError, 'the constructor\'s own error is the cause')
  t.equal(await reported, error)
  t.equal(client.connected, false)
})
