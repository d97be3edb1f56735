import { once } from 'node:events'
import t from 'tap'
import { MemoryBroker } from '../lib/index'
import { startServer } from './helpers/app'
import { wsAndIoClients } from './helpers/mixed-clients'
import { ioConnect, ioOpen, ioServer, serverSocket } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

t.test('io.to(room).emit reaches ws members of the room too', async (t) => {
  const server = await startServer(t)
  const { ws, io } = await wsAndIoClients(t, server, 'order:1')
  ioServer(server.app).to('order:1').emit('order:status_updated', { status: 'shipped' })
  t.match(await ws.next('event'), { event: 'order:status_updated', room: 'order:1', data: { status: 'shipped' } })
  t.same(await io.next('order:status_updated'), { status: 'shipped' })
  ws.close()
})

t.test('io.emit reaches every client; io.except(room) leaves the room out', async (t) => {
  const server = await startServer(t)
  const { ws, io } = await wsAndIoClients(t, server)
  ioServer(server.app).emit('broadcast', 1)
  t.match(await ws.next('event'), { event: 'broadcast', data: 1 })
  t.equal(await io.next('broadcast'), 1)
  ioServer(server.app).except('user:1').emit('not-for-1', 2)
  t.equal(await io.next('not-for-1'), 2)
  await server.app.realtime.emit('marker', null)
  t.match(await ws.next('event'), { event: 'marker' }, 'the ws client got the marker but not the excluded emit')
  ws.close()
})

t.test('socket.to(room).emit from app code reaches ws members and leaves out the sending socket', async (t) => {
  const server = await startServer(t)
  const { ws, io } = await wsAndIoClients(t, server, 'chat:1')
  serverSocket(server.app, io.socket.id).to('chat:1').emit('typing', { user: 2 })
  t.match(await ws.next('event'), { event: 'typing', data: { user: 2 } })
  await server.app.realtime.emit('marker', null)
  await io.next('marker')
  t.same(io.pending(), [], 'the sending socket got nothing')
  ws.close()
})

t.test('socket.join and socket.leave from app code move the socket in the shared rooms', async (t) => {
  const server = await startServer(t)
  const { client: io } = await ioConnect(t, server.httpUrl, { token: server.token(2) })
  const socket = serverSocket(server.app, io.socket.id)
  await socket.join('vip')
  t.equal(await server.app.realtime.roomSize('vip'), 1)
  await server.app.realtime.to('vip').emit('perk', 'lounge')
  t.equal(await io.next('perk'), 'lounge')
  await socket.leave('vip')
  t.equal(await server.app.realtime.roomSize('vip'), 0)
})

t.test('socket.rooms and fetchSockets see the rooms a client joined through the protocol', async (t) => {
  const server = await startServer(t)
  const { client: io } = await ioConnect(t, server.httpUrl, { token: server.token(2) })
  await io.request('join', 'order:1')
  const socket = serverSocket(server.app, io.socket.id)
  t.same([...socket.rooms].sort(), [socket.id, 'order:1', 'user:2'].sort())
  const members = await ioServer(server.app).in('order:1').fetchSockets()
  t.same(members.map((member) => member.id), [socket.id])
  await io.request('leave', 'order:1')
  t.notOk(socket.rooms.has('order:1'), 'leaving is mirrored too')
})

t.test('a socket app code joins to a room during setup is in that room once admitted', async (t) => {
  const server = await startServer(t, { autoJoin: async () => ['org:1'] })
  ioServer(server.app).on('connection', (socket) => { void socket.join('early') })
  const { client, welcome } = await ioConnect(t, server.httpUrl, { token: server.token(2) })
  t.same(welcome.rooms.sort(), ['early', 'org:1', 'user:2'])
  await server.app.realtime.to('early').emit('hi', 1)
  t.equal(await client.next('hi'), 1)
  client.close()
  await once(serverSocket(server.app, welcome.connectionId), 'disconnect')
  t.equal(await server.app.realtime.roomSize('early'), 0, 'nothing is left behind')
})

t.test('io.to(socketId).emit reaches just that socket', async (t) => {
  const server = await startServer(t)
  const { client: first } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  const { client: second } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  ioServer(server.app).to(String(first.socket.id)).emit('direct', 'you')
  t.equal(await first.next('direct'), 'you')
  await server.app.realtime.toUser(1).emit('marker', null)
  await second.next('marker')
  t.same(second.pending(), [])
})

t.test('what the hub cannot carry stays Socket.IO-only: binary data, several arguments', async (t) => {
  const server = await startServer(t)
  const { ws, io } = await wsAndIoClients(t, server)
  ioServer(server.app).emit('file', Buffer.from('abc'))
  ioServer(server.app).emit('pair', 1, 2)
  const [file] = await io.nextArgs('file')
  t.same(Buffer.from(file as ArrayBuffer), Buffer.from('abc'), 'Socket.IO clients get binary as binary')
  t.same(await io.nextArgs('pair'), [1, 2])
  await server.app.realtime.emit('marker', null)
  t.match(await ws.next('event'), { event: 'marker' }, 'the ws client got neither')
  ws.close()
})

t.test('data with cycles fails at once with a TypeError, whatever its shape', async (t) => {
  const server = await startServer(t)
  // Three references back to itself at every level: walked naively, 3^32 paths.
  const cyclic: Record<string, unknown> = {}
  cyclic.a = cyclic
  cyclic.b = cyclic
  cyclic.c = [cyclic, { back: cyclic }]
  t.throws(() => ioServer(server.app).to('room').emit('loop', cyclic), TypeError)
  t.throws(() => ioServer(server.app).emit('loop', { nested: cyclic }), TypeError)
})

t.test('io.to(room).emit on one node reaches ws members on another', async (t) => {
  const broker = new MemoryBroker()
  const nodeA = await startServer(t, { bus: broker.createBus() })
  const nodeB = await startServer(t, { bus: broker.createBus() })
  const { client: ws } = await connect(nodeB.wsUrl, { token: nodeB.token(1) })
  await ws.request({ type: 'join', room: 'order:1' })
  ioServer(nodeA.app).to('order:1').emit('order:status_updated', 'shipped')
  t.match(await ws.next('event'), { event: 'order:status_updated', data: 'shipped' })
  ws.close()
})

t.test('other namespaces keep plain Socket.IO behaviour', async (t) => {
  const server = await startServer(t)
  const admin = ioServer(server.app).of('/admin')
  admin.on('connection', (socket) => { void socket.join('ops') })
  const { client: ws } = await connect(server.wsUrl, { token: server.token(1) })
  // Every namespace authenticates with the plugin's rules.
  const io = await ioOpen(t, server.httpUrl, { namespace: '/admin', token: server.token(2) })
  admin.to('ops').emit('alert', 'disk')
  t.equal(await io.next('alert'), 'disk')
  t.equal(await server.app.realtime.roomSize('ops'), 0, 'the hub never saw the room')
  await server.app.realtime.emit('marker', null)
  t.match(await ws.next('event'), { event: 'marker' }, 'ws clients got nothing from /admin')
  ws.close()
})
