import { test } from 'tap'
import { startServer } from './helpers/app'
import { memoryCluster, startNodes } from './helpers/nodes'
import { ioConnect } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

test('volatile emits are dropped for a client with writes waiting, counted, and delivered to the others', async (t) => {
  const node = await startServer(t, { autoJoin: () => ['ticker'], recovery: true })
  const ws = await connect(node.wsUrl, { token: node.token('u1') })
  const io = await ioConnect(t, node.httpUrl, { token: node.token('u2') })
  t.teardown(() => ws.client.close())
  // Ten in one turn: each client's first is written, the rest find it still waiting and are dropped.
  for (let n = 1; n <= 10; n++) void node.app.realtime.volatile.to('ticker').emit('tick', { n })
  await node.app.realtime.to('ticker').emit('done', {})
  const wsEvents: string[] = []
  for (;;) {
    const frame = await ws.client.next('event')
    if (frame.event === 'done') break
    wsEvents.push(JSON.stringify(frame))
    t.equal((frame as { position?: unknown }).position, undefined, 'a volatile event has no place in the history')
  }
  t.ok(wsEvents.length >= 1 && wsEvents.length < 10, `ws: ${wsEvents.length} of 10 ticks delivered`)
  await io.client.next('done')
  const ioTicks = io.client.pending().filter(({ event }) => event === 'tick')
  t.ok(ioTicks.length >= 1 && ioTicks.length < 10, `Socket.IO: ${ioTicks.length} of 10 ticks delivered`)
  t.equal(node.app.realtime.stats().volatileDropped, 20 - wsEvents.length - ioTicks.length, 'every drop counted')
  t.same((await node.app.realtime.history('ticker')).events.map((event) => event.event), ['done'], 'only the ordinary emit is kept')
})

test('volatile emits cross nodes as volatile, and a client relay can be volatile', async (t) => {
  const [a, b] = await startNodes(t, memoryCluster(), 2, { autoJoin: () => ['cursor'] })
  const sender = await connect(a.wsUrl, { token: a.token('u1') })
  const receiver = await connect(b.wsUrl, { token: a.token('u2') })
  t.teardown(() => { sender.client.close(); receiver.client.close() })
  a.app.realtime.on('move', (data, client) => client.to('cursor').volatile.emit('moved', data))
  sender.client.send({ type: 'emit', event: 'move', data: { x: 1 } })
  t.same(await receiver.client.next('event'), { type: 'event', event: 'moved', room: 'cursor', data: { x: 1 } })
  t.equal(await a.app.realtime.to('cursor').volatile.emit('moved', { x: 2 }), true)
  t.same((await receiver.client.next('event')).type, 'event')
})
