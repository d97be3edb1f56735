import t from 'tap'
import { startServer } from './helpers/app'
import { connect } from './helpers/ws-client'

t.test('the first frame is a welcome with the connection id, the user and the rooms', async (t) => {
  const server = await startServer(t)
  const { client, welcome } = await connect(server.wsUrl, { token: server.token('42', { name: 'Ada' }) })
  t.match(welcome, { type: 'welcome', connectionId: String, user: { sub: '42', name: 'Ada' }, rooms: ['user:42'] })
  client.close()
})

t.test('answers ping with pong carrying the same id', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  t.same(await client.request({ type: 'ping', id: 7 }), { type: 'pong', id: 7 })
  client.send({ type: 'ping' })
  t.same(await client.next('pong'), { type: 'pong' })
  client.close()
})

t.test('answers malformed frames with BAD_REQUEST and keeps the connection open', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  const malformed = {
    'not JSON': '{nope',
    'a JSON array': '[1,2]',
    'a JSON string': '"join"',
    'JSON null': 'null',
    'an unknown type': '{"type":"shout","id":"u"}',
    'a missing type': '{"room":"a"}',
    'an event that is not a string': '{"type":"emit","event":5}',
    'an id that is an object': '{"type":"ping","id":{}}'
  }
  for (const [kind, text] of Object.entries(malformed)) {
    client.send(text)
    t.match(await client.next('error'), { type: 'error', code: 'BAD_REQUEST', message: String }, kind)
  }
  client.send('{"type":"shout","id":"u"}')
  t.match(await client.next('error'), { id: 'u' }, 'the error names the frame when its id was readable')
  t.same(await client.request({ type: 'ping', id: 'still-open' }), { type: 'pong', id: 'still-open' })
  client.close()
})

t.test('answers a binary frame with BAD_REQUEST', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  client.ws.send(Buffer.from('{"type":"ping"}'))
  t.match(await client.next('error'), { code: 'BAD_REQUEST', message: /Binary frames are not supported/ })
  client.close()
})

t.test('closes with 4400 after repeated malformed frames', async (t) => {
  const server = await startServer(t, { maxBadFrames: 3 })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  for (let i = 0; i < 4; i++) client.send('nope')
  t.match(await client.closed, { code: 4400 })
  t.equal(client.pending().filter((frame) => frame.type === 'error').length, 3, 'three errors, then the close')
})

t.test('payloads with __proto__ or constructor.prototype pollute nothing', async (t) => {
  const server = await startServer(t)
  let received: unknown
  server.app.realtime.on('evil', (data) => { received = data; return { ok: true } })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  client.send('{"type":"emit","event":"evil","id":"p","__proto__":{"polluted":true},"data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}')
  t.match(await client.next('ack'), { id: 'p', data: { ok: true } })
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is clean')
  t.equal(Object.getPrototypeOf(received), Object.prototype, 'the handler got a plain object')
  client.close()
})
