import Fastify from 'fastify'
import type { Socket } from 'socket.io'
import t from 'tap'
import realtime, { MemoryBroker, type RealtimeClient } from '../lib/index'
import { SECRET, startServer } from './helpers/app'
import { wsAndIoClients } from './helpers/mixed-clients'
import { ioConnect } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

t.test('a Socket.IO client gets the same welcome payload as a ws client', async (t) => {
  const server = await startServer(t, { autoJoin: () => ['org:1'] })
  const token = server.token(9, { orgId: 1 })
  const { welcome: viaWs } = await connect(server.wsUrl, { token })
  const { welcome: viaIo } = await ioConnect(t, server.httpUrl, { token })
  const { type, connectionId, ...wsPayload } = viaWs
  const { connectionId: ioConnectionId, ...ioPayload } = viaIo
  t.same(ioPayload, wsPayload)
  t.not(ioConnectionId, connectionId)
})

t.test('a server emit to a room reaches its members on both transports, once each', async (t) => {
  const server = await startServer(t)
  const { client: ws } = await connect(server.wsUrl, { token: server.token(1) })
  const { client: polling } = await ioConnect(t, server.httpUrl, { token: server.token(2), transports: ['polling'] })
  const { client: websocket } = await ioConnect(t, server.httpUrl, { token: server.token(3), transports: ['websocket'] })
  await ws.request({ type: 'join', room: 'order:1' })
  await polling.request('join', 'order:1')
  await websocket.request('join', 'order:1')
  t.equal(await server.app.realtime.to('order:1').emit('order:status_updated', { status: 'shipped' }), true)
  await server.app.realtime.emit('marker', null)
  t.match(await ws.next('event'), { event: 'order:status_updated', room: 'order:1', data: { status: 'shipped' } })
  for (const client of [polling, websocket]) {
    t.same(await client.next('order:status_updated'), { status: 'shipped' })
    await client.next('marker')
    t.same(client.pending(), [], 'exactly once')
  }
  ws.close()
})

t.test('toUser reaches every connection of the user, whatever its transport', async (t) => {
  const server = await startServer(t)
  const { client: ws } = await connect(server.wsUrl, { token: server.token(42) })
  const { client: io } = await ioConnect(t, server.httpUrl, { token: server.token(42) })
  await server.app.realtime.toUser(42).emit('notification:new', { text: 'Shipped' })
  t.match(await ws.next('event'), { event: 'notification:new', data: { text: 'Shipped' } })
  t.same(await io.next('notification:new'), { text: 'Shipped' })
  ws.close()
})

/** A handler that relays `typing` to the other members of the room the client names. */
function relayTyping (data: unknown, client: RealtimeClient): void {
  const { room } = data as { room: string }
  void client.to(room).emit('typing', { user: client.user?.sub })
}

t.test('a ws client event relayed by a handler reaches Socket.IO members, not the sender', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('typing', relayTyping)
  const { ws, io } = await wsAndIoClients(t, server, 'chat:1')
  t.match(await ws.request({ type: 'emit', event: 'typing', data: { room: 'chat:1' } }), { type: 'ack' })
  t.same(await io.next('typing'), { user: 1 })
  await server.app.realtime.emit('marker', null)
  await ws.next('event')
  t.same(ws.pending(), [], 'the sender got nothing back')
  ws.close()
})

t.test('a Socket.IO client event relayed by a handler reaches ws members, not the sender', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('typing', relayTyping)
  const { ws, io } = await wsAndIoClients(t, server, 'chat:1')
  io.socket.emit('typing', { room: 'chat:1' })
  t.match(await ws.next('event'), { event: 'typing', room: 'chat:1', data: { user: 2 } })
  await server.app.realtime.emit('marker', null)
  await io.next('marker')
  t.same(io.pending(), [], 'the sender got nothing back')
  ws.close()
})

t.test('rooms span nodes: a ws emit on one node reaches a Socket.IO member on another', async (t) => {
  const broker = new MemoryBroker()
  const nodeA = await startServer(t, { bus: broker.createBus() })
  const nodeB = await startServer(t, { bus: broker.createBus() })
  nodeB.app.realtime.on('typing', relayTyping)
  const { client: io } = await ioConnect(t, nodeA.httpUrl, { token: nodeA.token(1) })
  const { client: ws } = await connect(nodeB.wsUrl, { token: nodeB.token(2) })
  await io.request('join', 'chat:1')
  // A client relays only to rooms it is in.
  await ws.request({ type: 'join', room: 'chat:1' })
  ws.send({ type: 'emit', event: 'typing', data: { room: 'chat:1' } })
  t.same(await io.next('typing'), { user: 2 })
  await nodeB.app.realtime.to('chat:1').emit('from-b', 'hi')
  t.equal(await io.next('from-b'), 'hi')
  ws.close()
})

t.test('encodes a fan-out once for every Socket.IO member', async (t) => {
  const server = await startServer(t)
  const clients = await Promise.all([1, 2, 3, 4].map(async (id) => (await ioConnect(t, server.httpUrl, { token: server.token(id), transports: [id % 2 === 0 ? 'websocket' : 'polling'] })).client))
  await Promise.all(clients.map(async (client) => await client.request('join', 'room:1')))
  const written: Array<{ packet: unknown, options: unknown }> = []
  for (const socket of server.app.realtime.io?.of('/').sockets.values() ?? []) spyOnWrites(socket as Socket, written)
  await server.app.realtime.to('room:1').emit('news', { n: 1 })
  for (const client of clients) t.same(await client.next('news'), { n: 1 })
  t.equal(written.length, 4)
  t.ok(written.every(({ options }) => options === written[0].options), 'one encoding object shared by every recipient')
  t.ok(written.every(({ packet }) => packet === '2["news",{"n":1}]'), 'the packet Socket.IO itself would send')
})

/** Records what is written to a socket's engine.io connection. */
function spyOnWrites (socket: Socket, written: Array<{ packet: unknown, options: unknown }>): void {
  const conn = socket.conn
  const write = conn.write.bind(conn)
  conn.write = (packet, options, callback) => {
    written.push({ packet, options })
    return write(packet, options, callback)
  }
}

t.test('a second app in the process keeps its own rooms and Socket.IO server', async (t) => {
  const server = await startServer(t)
  const other = Fastify()
  await other.register(realtime, { jwt: { secret: SECRET }, socketio: { namespace: '/other' } })
  t.teardown(() => other.close())
  t.not(other.realtime.io, server.app.realtime.io)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  await other.realtime.emit('elsewhere', 1)
  await server.app.realtime.emit('here', 2)
  t.equal(await client.next('here'), 2)
  t.same(client.pending(), [])
})
