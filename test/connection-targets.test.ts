import { test, type Test } from 'tap'
import type { ServerFrame } from '../lib/index'
import { memoryCluster, redisCluster, startNodes, type ClusterKind } from './helpers/nodes'
import { startRedis } from './helpers/redis-server'
import { ioConnect } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

type EventFrame = Extract<ServerFrame, { type: 'event' }>

async function suite (name: string, kind: (t: Test) => Promise<ClusterKind>): Promise<void> {
  await test(`${name}: to(connectionId) reaches exactly that connection, on any node, either transport`, async (t) => {
    const [a, b] = await startNodes(t, await kind(t), 2, { autoJoin: () => ['lobby'] })
    const ws = await connect(b.wsUrl, { token: a.token('u1') })
    const wsTwin = await connect(b.wsUrl, { token: a.token('u1') })
    const io = await ioConnect(t, b.httpUrl, { token: a.token('u2') })
    t.teardown(() => { ws.client.close(); wsTwin.client.close() })
    t.equal(await a.app.realtime.to(ws.welcome.connectionId).emit('direct', { to: 'ws' }), true)
    t.equal(await a.app.realtime.to(io.welcome.connectionId).emit('direct', { to: 'io' }), true)
    t.same(await ws.client.next('event'), { type: 'event', event: 'direct', data: { to: 'ws' } })
    t.same(await io.client.next('direct'), { to: 'io' })
    await a.app.realtime.to('lobby').except(ws.welcome.connectionId).emit('marker', 1)
    t.same((await wsTwin.client.next('event') as EventFrame).data, 1)
    t.same(await io.client.next('marker'), 1)
    await a.app.realtime.to(ws.welcome.connectionId).emit('after', 2)
    t.equal((await ws.client.next('event') as EventFrame).event, 'after', 'the connection left out got nothing in between')
    t.same(wsTwin.client.pending(), [], 'the same user\'s other connection got nothing direct')
  })

  await test(`${name}: in(connectionId) joins, leaves and disconnects that connection, on any node`, async (t) => {
    const [a, b] = await startNodes(t, await kind(t), 2)
    const ws = await connect(b.wsUrl, { token: a.token('u1') })
    const io = await ioConnect(t, b.httpUrl, { token: a.token('u2') })
    t.equal(await a.app.realtime.in([ws.welcome.connectionId, io.welcome.connectionId]).join('desk:1'), true)
    await a.app.realtime.to(ws.welcome.connectionId).emit('sync', 0)
    await ws.client.next('event')
    t.equal(await a.app.realtime.roomSize('desk:1'), 2)
    await a.app.realtime.to('desk:1').emit('tick', 1)
    t.same(await ws.client.next('event'), { type: 'event', event: 'tick', room: 'desk:1', data: 1 })
    t.same(await io.client.next('tick'), 1)
    await a.app.realtime.in(io.welcome.connectionId).disconnect()
    t.equal(await io.client.disconnected, 'io server disconnect')
    t.equal(await a.app.realtime.to('$c:nobody').emit('direct', 1), true, 'an unknown connection: taken, delivered to no one')
    t.throws(() => a.app.realtime.in('desk:1').join(ws.welcome.connectionId), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, 'a connection id is no room to join')
    ws.client.close()
  })

  await test(`${name}: with recovery, an event to one connection is a direct send: no position, no history`, async (t) => {
    const [a, b] = await startNodes(t, await kind(t), 2, { recovery: true })
    const ws = await connect(b.wsUrl, { token: a.token('u1') })
    t.teardown(() => ws.client.close())
    t.equal(await a.app.realtime.to(ws.welcome.connectionId).emit('direct', 1), true)
    t.same(await ws.client.next('event'), { type: 'event', event: 'direct', data: 1 })
  })
}

void (async () => {
  await suite('memory bus', async () => memoryCluster())
  await suite('redis bus', async (t) => redisCluster(await startRedis(t)))
})()
