import t from 'tap'
import { startServer } from './helpers/app'
import { redisCluster, startNodes } from './helpers/nodes'
import { startRedis } from './helpers/redis-server'
import { ioConnect } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

// A Socket.IO client's presence request, `socket.emit('presence', room, ack)`: the same answers as
// the raw protocol's `presence` frame, in Socket.IO's idiom.

const ROOM = 'doc:1'

t.test('a Socket.IO member asks for a room\'s presence and gets { ok: true, room, users, connections, members }', async (t) => {
  const server = await startServer(t, { presence: true })
  const { client: io, welcome } = await ioConnect(t, server.httpUrl, { token: server.token('ada') })
  const { client: ws, welcome: wsWelcome } = await connect(server.wsUrl, { token: server.token('bob') })
  await io.request('join', ROOM)
  await ws.request({ type: 'join', room: ROOM })
  const answer = await io.request('presence', ROOM) as { ok: true, room: string, users: number, connections: number, members: Array<{ userId: string, connections: Array<{ id: string }> }> }
  t.match(answer, { ok: true, room: ROOM, users: 2, connections: 2 })
  t.same(answer.members.map(({ userId, connections }) => [userId, connections.map(({ id }) => id)]).sort(), [['ada', [welcome.connectionId]], ['bob', [wsWelcome.connectionId]]])
  ws.close()
})

t.test('a Socket.IO client that is not a member is refused FORBIDDEN; a bad or untracked room is BAD_REQUEST', async (t) => {
  const server = await startServer(t, { presence: true })
  const { client: member } = await ioConnect(t, server.httpUrl, { token: server.token('ada') })
  await member.request('join', ROOM)
  const { client: outsider } = await ioConnect(t, server.httpUrl, { token: server.token('bob') })
  t.match(await outsider.request('presence', ROOM), { ok: false, error: { code: 'FORBIDDEN' } })
  t.match(await outsider.request('presence', 'nobody-here'), { ok: false, error: { code: 'FORBIDDEN' } }, 'alike whether the room exists or not')
  t.match(await member.request('presence', 42), { ok: false, error: { code: 'BAD_REQUEST' } })
  t.match(await member.request('presence', 'user:ada'), { ok: false, error: { code: 'BAD_REQUEST', message: 'This room does not track presence' } })
  t.match(await member.request('presence', ROOM), { ok: true, users: 1 }, 'the connection stays usable')
})

t.test('a presence request right after a join (not awaited) sees the join', async (t) => {
  const server = await startServer(t, { presence: true })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token('ada') })
  client.socket.emit('join', ROOM)
  t.match(await client.request('presence', ROOM), { ok: true, users: 1, members: [{ userId: 'ada' }] })
})

t.test('with presence off, a Socket.IO presence request is NOT_FOUND', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token('ada') })
  await client.request('join', ROOM)
  t.match(await client.request('presence', ROOM), { ok: false, error: { code: 'NOT_FOUND' } })
})

t.test('over Redis, a Socket.IO client on one node sees the members of another', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await startNodes(t, redisCluster(redis), 2, { presence: true })
  const { client: onA } = await connect(a.wsUrl, { token: a.token('ada') })
  await onA.request({ type: 'join', room: ROOM })
  const { client: onB } = await ioConnect(t, b.httpUrl, { token: b.token('bob'), transports: ['polling'] })
  await onB.request('join', ROOM)
  t.match(await onB.request('presence', ROOM), { ok: true, users: 2, connections: 2 })
  onA.close()
})
