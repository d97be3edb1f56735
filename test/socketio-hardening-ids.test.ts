import t from 'tap'
import { Server } from 'socket.io'
import { CONNECTION_ID_PREFIX } from '../lib/protocol/names'
import { prefixSocketIds } from '../lib/transports/socketio/socket-ids'
import { startServer } from './helpers/app'
import { ioConnect, ioServer, serverSocket } from './helpers/socketio-client'

t.test('Socket.IO still has the internal socket-ids.ts wraps (Namespace#_createSocket)', async (t) => {
  // Not attached to anything: nothing to close.
  const io = new Server()
  const namespace = io.of('/')
  t.type((namespace as unknown as { _createSocket?: unknown })._createSocket, 'function', 'socket.io changed: review lib/transports/socketio/socket-ids.ts')
  const bare = Object.create(namespace) as typeof namespace
  Object.defineProperty(bare, '_createSocket', { value: undefined })
  t.throws(() => prefixSocketIds(bare), /_createSocket/, 'without the internal, registering fails loudly')
})

t.test('every socket id of the realtime namespace is a connection id, the same on client, server and welcome', async (t) => {
  const server = await startServer(t)
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    const { client, welcome } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports })
    const id = client.socket.id ?? ''
    t.ok(id.startsWith(CONNECTION_ID_PREFIX), `${transports.join('+')}: ${id} starts with ${CONNECTION_ID_PREFIX}`)
    t.equal(welcome.connectionId, id)
    t.equal(serverSocket(server.app, id).id, id)
    client.close()
  }
})

t.test("a socket's own room never enters the hub, and io.to(socket.id) reaches that socket only", async (t) => {
  const server = await startServer(t, { canJoin: () => true })
  const { client: a } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  const { client: b } = await ioConnect(t, server.httpUrl, { token: server.token(2) })
  const idA = a.socket.id ?? ''
  const adapter = ioServer(server.app).of('/').adapter
  t.ok(adapter.rooms.get(idA)?.has(idA), "Socket.IO keeps the socket's own room")
  t.equal(await server.app.realtime.roomSize(idA), 0, 'the hub has no room named after the socket')
  t.equal(await server.app.realtime.count(), 2)

  // Another client cannot join it (a reserved name) and so cannot read what is sent to the socket.
  t.match(await b.request('join', idA), { ok: false })
  t.equal(await server.app.realtime.roomSize(idA), 0)

  ioServer(server.app).to(idA).emit('direct', 'for a')
  t.equal(await a.next('direct'), 'for a')
  await server.app.realtime.emit('marker', 1)
  t.equal(await b.next('marker'), 1)
  t.same(b.pending().filter((event) => event.event === 'direct'), [], 'b did not get the direct emit')

  // socket.to(room) from the socket's side leaves it out through the hub.
  await a.request('join', 'public:x')
  await b.request('join', 'public:x')
  serverSocket(server.app, idA).to('public:x').emit('relay', 'from a')
  t.equal(await b.next('relay'), 'from a')
  await server.app.realtime.toUser(1).emit('marker-a', 2)
  t.equal(await a.next('marker-a'), 2)
  t.same(a.pending().filter((event) => event.event === 'relay'), [], 'a was left out')
})
