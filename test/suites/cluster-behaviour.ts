import type { Test } from 'tap'
import type { ClusterKind } from '../helpers/nodes'
import { startNodes } from '../helpers/nodes'
import { waitFor } from '../helpers/wait-for'
import { connect, type TestClient } from '../helpers/ws-client'

/**
 * What a multi-node deployment promises, whatever bus carries it. Each test file that runs it
 * passes a way to build nodes of one cluster (memory bus, Redis, Redis Cluster).
 */
export function clusterBehaviour (t: Test, makeKind: (t: Test) => Promise<ClusterKind>): void {
  t.test('a room emit on one node reaches its members on every other node, naming the room', async (t) => {
    const [a, b, c] = await startNodes(t, await makeKind(t), 3)
    const onB = await connect(b.wsUrl, { token: b.token(1) })
    const onC = await connect(c.wsUrl, { token: c.token(2) })
    await onB.client.request({ type: 'join', room: 'order:1' })
    await onC.client.request({ type: 'join', room: 'order:1' })
    t.equal(await a.app.realtime.to('order:1').emit('order:status_updated', { status: 'shipped' }), true)
    for (const { client } of [onB, onC]) {
      t.same(await client.next('event'), { type: 'event', event: 'order:status_updated', room: 'order:1', data: { status: 'shipped' } })
    }
    closeAll(onB.client, onC.client)
  })

  t.test('toUser reaches every connection of the user on every node, without a room field', async (t) => {
    const [a, b, c] = await startNodes(t, await makeKind(t), 3)
    const first = await connect(b.wsUrl, { token: b.token(42) })
    const second = await connect(c.wsUrl, { token: c.token(42) })
    const other = await connect(c.wsUrl, { token: c.token(43) })
    await a.app.realtime.toUser(42).emit('notification:new', { text: 'Shipped' })
    await a.app.realtime.emit('marker')
    for (const { client } of [first, second]) t.same(await client.next('event'), { type: 'event', event: 'notification:new', data: { text: 'Shipped' } })
    t.match(await other.client.next('event'), { event: 'marker' }, 'the other user got only the marker')
    closeAll(first.client, second.client, other.client)
  })

  t.test('emit reaches everyone, except() leaves out members anywhere, to([a, b]) delivers once', async (t) => {
    const [a, b] = await startNodes(t, await makeKind(t), 2)
    const onA = await connect(a.wsUrl, { token: a.token(1) })
    const onB = await connect(b.wsUrl, { token: b.token(2) })
    const muted = await connect(b.wsUrl, { token: b.token(3) })
    await muted.client.request({ type: 'join', room: 'muted' })
    await onB.client.request({ type: 'join', room: 'x' })
    await onB.client.request({ type: 'join', room: 'y' })
    await a.app.realtime.except('muted').emit('not-muted')
    await a.app.realtime.to(['x', 'y']).emit('once')
    await a.app.realtime.emit('everyone')
    t.match(await onA.client.next('event'), { event: 'not-muted' })
    t.match(await onA.client.next('event'), { event: 'everyone' })
    t.match(await onB.client.next('event'), { event: 'not-muted' })
    t.same(await onB.client.next('event'), { type: 'event', event: 'once', data: null })
    t.match(await onB.client.next('event'), { event: 'everyone' }, 'no second copy of "once" in between')
    t.match(await muted.client.next('event'), { event: 'everyone' }, 'the muted client got only the broadcast')
    closeAll(onA.client, onB.client, muted.client)
  })

  t.test('a client relay reaches peers on other nodes and never the sender', async (t) => {
    const [a, b] = await startNodes(t, await makeKind(t), 2)
    a.app.realtime.on<string>('say', (text, client) => client.to('chat').emit('said', text))
    const sender = await connect(a.wsUrl, { token: a.token(1) })
    const peer = await connect(b.wsUrl, { token: b.token(2) })
    await sender.client.request({ type: 'join', room: 'chat' })
    await peer.client.request({ type: 'join', room: 'chat' })
    t.match(await sender.client.request({ type: 'emit', event: 'say', data: 'hello' }), { type: 'ack', data: true })
    t.same(await peer.client.next('event'), { type: 'event', event: 'said', room: 'chat', data: 'hello' })
    await b.app.realtime.to('chat').emit('marker')
    t.match(await sender.client.next('event'), { event: 'marker' }, 'the sender got the marker and not its own relay')
    closeAll(sender.client, peer.client)
  })

  t.test('only nodes with members of a room receive its traffic, and only while they have members', async (t) => {
    const kind = await makeKind(t)
    const [a, b, c] = await startNodes(t, kind, 3)
    t.equal(await kind.subscribers('order:9'), 0, 'no node receives a room nobody is in')
    const onA = await connect(a.wsUrl, { token: a.token(1) })
    const onB = await connect(b.wsUrl, { token: b.token(2) })
    await onA.client.request({ type: 'join', room: 'order:9' })
    await onB.client.request({ type: 'join', room: 'order:9' })
    t.equal(await kind.subscribers('order:9'), 2, 'the two nodes with a member, not the third')
    await c.app.realtime.to('order:9').emit('from-c')
    t.match(await onA.client.next('event'), { event: 'from-c' }, 'a node without members can still emit to the room')
    await onA.client.request({ type: 'leave', room: 'order:9' })
    await waitFor(async () => await kind.subscribers('order:9') === 1)
    onB.client.close()
    await waitFor(async () => await kind.subscribers('order:9') === 0)
    t.pass('unsubscribed when the last local member left')
    onA.client.close()
  })

  t.test('count, roomSize, isUserConnected and connectedUsers answer for the whole cluster', async (t) => {
    const [a, b, c] = await startNodes(t, await makeKind(t), 3)
    const clients = [
      await connect(a.wsUrl, { token: a.token(1) }),
      await connect(b.wsUrl, { token: b.token(1) }),
      await connect(b.wsUrl, { token: b.token(2) }),
      await connect(c.wsUrl, { token: c.token(3) })
    ]
    await clients[1].client.request({ type: 'join', room: 'news' })
    await clients[3].client.request({ type: 'join', room: 'news' })
    for (const node of [a, b, c]) {
      const { realtime } = node.app
      t.equal(await realtime.count(), 4)
      t.equal(await realtime.roomSize('news'), 2)
      t.equal(await realtime.roomSize('user:1'), 2)
      t.equal(await realtime.isUserConnected(3), true)
      t.equal(await realtime.isUserConnected('4'), false)
      t.same((await realtime.connectedUsers()).sort(), ['1', '2', '3'])
    }
    closeAll(...clients.map(({ client }) => client))
  })

  t.test('a node that closed is no longer asked: queries answer at once without it', async (t) => {
    const [a, b, c] = await startNodes(t, await makeKind(t), 3)
    await connect(a.wsUrl, { token: a.token(1) })
    await connect(c.wsUrl, { token: c.token(3) })
    t.equal(await b.app.realtime.count(), 2)
    await c.app.close()
    const started = Date.now()
    t.equal(await b.app.realtime.count(), 1)
    t.same(await b.app.realtime.connectedUsers(), ['1'])
    t.ok(Date.now() - started < 500, 'no waiting on the closed node')
  })

  t.test('disconnectUser closes every connection of the user on every node', async (t) => {
    const [a, b, c] = await startNodes(t, await makeKind(t), 3)
    const first = await connect(b.wsUrl, { token: b.token(7) })
    const second = await connect(c.wsUrl, { token: c.token(7) })
    const bystander = await connect(c.wsUrl, { token: c.token(8) })
    t.equal(await a.app.realtime.disconnectUser(7), true)
    t.match(await first.client.closed, { code: 1000 })
    t.match(await second.client.closed, { code: 1000 })
    await waitFor(async () => await a.app.realtime.count() === 1)
    t.equal(await a.app.realtime.isUserConnected(7), false)
    t.match(await bystander.client.request({ type: 'ping' }), { type: 'pong' }, 'the other user stays connected')
    bystander.client.close()
  })

  t.test('in(room).join(other) and in(room).leave(other) act on members on every node', async (t) => {
    const [a, b, c] = await startNodes(t, await makeKind(t), 3)
    const onB = await connect(b.wsUrl, { token: b.token(1) })
    const onC = await connect(c.wsUrl, { token: c.token(2) })
    const outsider = await connect(c.wsUrl, { token: c.token(3) })
    await onB.client.request({ type: 'join', room: 'team' })
    await onC.client.request({ type: 'join', room: 'team' })
    // Commands and queries travel on different channels (on a Redis Cluster, different shards), so
    // the query may overtake the command: wait for the effect.
    t.equal(await a.app.realtime.in('team').join(['announcements', 'standup']), true)
    await waitFor(async () => await a.app.realtime.roomSize('announcements') === 2 && await a.app.realtime.roomSize('standup') === 2)
    await a.app.realtime.to('announcements').emit('hello')
    for (const { client } of [onB, onC]) t.same(await client.next('event'), { type: 'event', event: 'hello', room: 'announcements', data: null })
    t.equal(await a.app.realtime.in('team').except('user:2').leave('announcements'), true)
    await waitFor(async () => await a.app.realtime.roomSize('announcements') === 1)
    t.equal(await b.app.realtime.roomSize('announcements'), 1, 'user 2 was spared by except()')
    await a.app.realtime.emit('marker')
    t.match(await outsider.client.next('event'), { event: 'marker' }, 'the outsider was in no room and got nothing else')
    closeAll(onB.client, onC.client, outsider.client)
  })

  t.test('in(room).disconnect() disconnects the room’s members on every node', async (t) => {
    const [a, b, c] = await startNodes(t, await makeKind(t), 3)
    const onB = await connect(b.wsUrl, { token: b.token(1) })
    const onC = await connect(c.wsUrl, { token: c.token(2) })
    await onB.client.request({ type: 'join', room: 'doomed' })
    await onC.client.request({ type: 'join', room: 'doomed' })
    await a.app.realtime.in('doomed').disconnect()
    t.match(await onB.client.closed, { code: 1000 })
    t.match(await onC.client.closed, { code: 1000 })
  })
}

function closeAll (...clients: TestClient[]): void {
  for (const client of clients) client.close()
}
