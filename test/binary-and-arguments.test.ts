import { test } from 'tap'
import { startServer } from './helpers/app'
import { ioConnect } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

test('binary data in an emit is refused, never turned into {"type":"Buffer",…}; app.realtime.io still sends it as binary', async (t) => {
  const node = await startServer(t, { autoJoin: () => ['room'] }, {}, (app) => {
    app.realtime.on('echo', (_data, client) => { client.emit('back', { nested: [new Uint8Array([1])] }) })
  })
  const ws = await connect(node.wsUrl, { token: node.token('u1') })
  const io = await ioConnect(t, node.httpUrl, { token: node.token('u2') })
  t.teardown(() => ws.client.close())
  for (const data of [Buffer.from('hi'), { file: new Uint8Array([1, 2]) }, [new ArrayBuffer(2)], { deep: { er: new Float32Array(1) } }]) {
    t.throws(() => node.app.realtime.to('room').emit('file', data), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  }
  t.match(await ws.client.request({ type: 'emit', event: 'echo', data: null }), { type: 'error', code: 'INTERNAL' }, 'a handler that sends binary fails, as its bug')
  node.app.realtime.io?.to('room').emit('raw', Buffer.from([7, 8]))
  const raw = await io.client.next('raw')
  t.ok(Buffer.isBuffer(raw) && raw.equals(Buffer.from([7, 8])), 'Socket.IO carries it as binary itself')
  t.equal(await node.app.realtime.to('room').emit('ok', { text: 'fine' }), true)
  t.same(await ws.client.next('event'), { type: 'event', event: 'ok', room: 'room', data: { text: 'fine' } }, 'the raw client got neither the refused emits nor the binary one')
})

test('a Socket.IO event with more than one data argument is refused with BAD_REQUEST, not cut short', async (t) => {
  const received: unknown[] = []
  const node = await startServer(t, {}, {}, (app) => {
    app.realtime.on('sum', (data) => { received.push(data); return 'ok' })
  })
  const io = await ioConnect(t, node.httpUrl, { token: node.token('u1') })
  const answer = await io.client.socket.timeout(2000).emitWithAck('sum', 1, 2)
  t.match(answer, { ok: false, error: { code: 'BAD_REQUEST', message: /one data argument/ } })
  t.equal(await io.client.socket.timeout(2000).emitWithAck('sum', [1, 2]), 'ok')
  t.same(received, [[1, 2]])
})
