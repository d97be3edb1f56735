import t, { type Test } from 'tap'
import { MemoryBroker } from '../lib/index'
import { startServer } from './helpers/app'
import { connect } from './helpers/ws-client'

/** Two apps in one process sharing a MemoryBroker behave as a two-node cluster. */
async function twoNodes (t: Test) {
  const broker = new MemoryBroker()
  const busA = broker.createBus()
  const busB = broker.createBus()
  const a = await startServer(t, { bus: busA })
  const b = await startServer(t, { bus: busB })
  return { a, b, busA, busB }
}

t.test('a room emit on one node reaches members connected to the other node', async (t) => {
  const { a, b } = await twoNodes(t)
  const onB = await connect(b.wsUrl, { token: b.token(1) })
  await onB.client.request({ type: 'join', room: 'order:1' })
  t.equal(await a.app.realtime.to('order:1').emit('order:status_updated', { status: 'shipped' }), true)
  t.same(await onB.client.next('event'), { type: 'event', event: 'order:status_updated', room: 'order:1', data: { status: 'shipped' } })
  onB.client.close()
})

t.test('emit, toUser and except work across nodes', async (t) => {
  const { a, b } = await twoNodes(t)
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  const onB = await connect(b.wsUrl, { token: b.token(2) })
  await onB.client.request({ type: 'join', room: 'muted' })
  await a.app.realtime.toUser(2).emit('direct', 'for 2')
  await b.app.realtime.emit('everyone')
  await a.app.realtime.except('muted').emit('not-muted')
  t.same(await onB.client.next('event'), { type: 'event', event: 'direct', data: 'for 2' })
  t.match(await onB.client.next('event'), { event: 'everyone' })
  t.match(await onA.client.next('event'), { event: 'everyone' })
  t.match(await onA.client.next('event'), { event: 'not-muted' })
  t.equal(onB.client.pending().length, 0, 'the muted member got nothing more')
  onA.client.close(); onB.client.close()
})

t.test('a node subscribes to a room only while it has local members', async (t) => {
  const { a, b, busA, busB } = await twoNodes(t)
  const onA = await connect(a.wsUrl, { token: a.token(1) })
  await onA.client.request({ type: 'join', room: 'order:9' })
  t.ok(busA.subscribedRooms().has('order:9'))
  t.notOk(busB.subscribedRooms().has('order:9'), 'node B has no member, so it does not receive order:9 traffic')
  await onA.client.request({ type: 'leave', room: 'order:9' })
  t.notOk(busA.subscribedRooms().has('order:9'), 'unsubscribed when the last member left')
  t.equal(await b.app.realtime.to('order:9').emit('nobody'), true)
  onA.client.close()
})

t.test('a relay from a handler excludes the sender on its own node only', async (t) => {
  const { a, b } = await twoNodes(t)
  a.app.realtime.on('say', (text, client) => client.to('chat').emit('said', text))
  const sender = await connect(a.wsUrl, { token: a.token(1) })
  const peer = await connect(b.wsUrl, { token: b.token(2) })
  await sender.client.request({ type: 'join', room: 'chat' })
  await peer.client.request({ type: 'join', room: 'chat' })
  t.match(await sender.client.request({ type: 'emit', event: 'say', data: 'hello' }), { type: 'ack', data: true })
  t.same(await peer.client.next('event'), { type: 'event', event: 'said', room: 'chat', data: 'hello' })
  t.equal(sender.client.pending().length, 0)
  sender.client.close(); peer.client.close()
})
