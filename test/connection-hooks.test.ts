import { test } from 'tap'
import { RealtimeError } from '../lib/index'
import type { RealtimeClient } from '../lib/hub/realtime-client'
import type { DisconnectInfo } from '../lib/hub/connection-hooks'
import { startServer } from './helpers/app'
import { ioConnect, ioOpen, ioServer, serverSocket } from './helpers/socketio-client'
import { connect, open } from './helpers/ws-client'
import { waitFor } from './helpers/wait-for'

test('connection hooks run for both transports with the client\'s user, rooms and transport; they can join and emit', async (t) => {
  const seen: Array<{ transport: string, userId: string | null, rooms: string[] }> = []
  const gone: Array<{ transport: string, info: DisconnectInfo }> = []
  const node = await startServer(t, { autoJoin: () => ['lobby'] }, {}, (app) => {
    app.realtime.onConnection(async (client) => {
      seen.push({ transport: client.transport, userId: client.userId, rooms: [...client.rooms].sort() })
      client.join(`desk:${client.userId ?? ''}`)
      client.emit('hello', { id: client.id })
    })
    app.realtime.onDisconnect((client, info) => { gone.push({ transport: client.transport, info }) })
  })
  const ws = await connect(node.wsUrl, { token: node.token('u1') })
  t.same(await ws.client.next('event'), { type: 'event', event: 'hello', data: { id: ws.welcome.connectionId } }, 'after the welcome')
  const io = await ioConnect(t, node.httpUrl, { token: node.token('u2') })
  t.same(await io.client.next('hello'), { id: io.welcome.connectionId })
  t.same(seen, [
    { transport: 'ws', userId: 'u1', rooms: ['lobby', 'user:u1'] },
    { transport: 'socketio', userId: 'u2', rooms: ['lobby', 'user:u2'] }
  ])
  t.equal(await node.app.realtime.roomSize('desk:u1'), 1)
  t.match(serverSocket(node.app, io.welcome.connectionId).data, { user: { sub: 'u2' }, userId: 'u2' }, 'socket.data says who the socket is')
  t.same((await ioServer(node.app).fetchSockets()).map((socket) => (socket.data as { userId: string }).userId), ['u2'])
  ws.client.close()
  io.client.close()
  await waitFor(() => gone.length === 2)
  t.same(gone.map(({ transport, info }) => [transport, info.reason, info.code]).sort(), [['socketio', 'client namespace disconnect', undefined], ['ws', 'client close', 1005]])
})

test('a connection hook refuses a client by throwing; its requests never ran', async (t) => {
  const handled: string[] = []
  const node = await startServer(t, {}, {}, (app) => {
    app.realtime.onConnection((client: RealtimeClient) => {
      if (client.userId === 'banned') throw new RealtimeError('FORBIDDEN', 'Banned')
      if (client.userId === 'buggy') throw new Error('bug')
    })
    app.realtime.on('ping', (_data, client) => { handled.push(client.userId ?? '') })
  })
  const banned = await open(node.wsUrl, { token: node.token('banned') })
  banned.send({ type: 'emit', event: 'ping', data: null })
  t.match(await banned.closed, { code: 4403, reason: 'Banned' })
  const buggy = await open(node.wsUrl, { token: node.token('buggy') })
  t.match(await buggy.closed, { code: 1011 })
  const io = await ioOpen(t, node.httpUrl, { token: node.token('banned') })
  io.socket.emit('ping', null)
  t.equal(await io.disconnected, 'io server disconnect')
  t.same(handled, [])
})

test('the disconnect hook says why on the raw endpoint: a server close and a ping timeout', async (t) => {
  const gone: DisconnectInfo[] = []
  const node = await startServer(t, { heartbeatInterval: 100 }, {}, (app) => {
    app.realtime.onDisconnect(() => { throw new Error('a failing hook is logged, and the next one still runs') })
    app.realtime.onDisconnect((_client, info) => { gone.push(info) })
  })
  const first = await connect(node.wsUrl, { token: node.token('u1') })
  await node.app.realtime.disconnectUser('u1')
  await first.client.closed
  const silent = await connect(node.wsUrl, { token: node.token('u2'), autoPong: false })
  await silent.client.closed
  await waitFor(() => gone.length === 2)
  t.same(gone, [{ reason: 'server close', code: 1000 }, { reason: 'ping timeout', code: 1006 }])
})
