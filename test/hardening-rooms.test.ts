import t from 'tap'
import type { RealtimeUser } from '../lib/index'
import { startServer } from './helpers/app'
import { ioConnect } from './helpers/socketio-client'
import { connect } from './helpers/ws-client'

/*
 * Rooms named after connection ids (and any name starting with `$`, the plugin's own) can never
 * be joined, and a client relay reaches only rooms its client is in.
 */

const orgOf = (user: RealtimeUser | null): string[] => typeof user?.org === 'string' ? [`org:${user.org}`] : []
const options = {
  autoJoin: orgOf,
  canJoin: () => true
}

t.test('connection ids are reserved names on both transports: no client can join another client\'s id', async (t) => {
  const server = await startServer(t, options)
  const { client: wsVictim, welcome: wsWelcome } = await connect(server.wsUrl, { token: server.token('victim') })
  const { client: ioVictim, welcome: ioWelcome } = await ioConnect(t, server.httpUrl, { token: server.token('victim2') })
  t.match(wsWelcome.connectionId, /^\$c:/, 'a ws connection id starts with $c:')
  t.match(ioWelcome.connectionId, /^\$c:/, 'a Socket.IO connection id starts with $c:')
  t.equal(ioWelcome.connectionId, ioVictim.socket.id, 'and is the socket id the client sees')

  const { client: wsAttacker } = await connect(server.wsUrl, { token: server.token('attacker') })
  const { client: ioAttacker } = await ioConnect(t, server.httpUrl, { token: server.token('attacker2') })
  for (const room of [wsWelcome.connectionId, ioWelcome.connectionId, '$anything']) {
    t.match(await wsAttacker.request({ type: 'join', room }), { type: 'error', code: 'FORBIDDEN' }, `ws: ${room} is refused`)
    t.match(await ioAttacker.request('join', room), { ok: false, error: { code: 'FORBIDDEN' } }, `Socket.IO: ${room} is refused`)
  }
  t.equal(await server.app.realtime.roomSize(wsWelcome.connectionId), 0)

  // A connection id selects that one connection (issue 17): nobody else, and it is no room anyone joined.
  t.equal(await server.app.realtime.to(wsWelcome.connectionId).emit('direct', 0), true)
  t.same(await wsVictim.next('event'), { type: 'event', event: 'direct', data: 0 }, 'a direct send: its frame names no room')
  t.throws(() => server.app.realtime.in('user:attacker').join(wsWelcome.connectionId), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, 'in(room).join(connectionId) is refused')
  t.throws(() => server.app.realtime.in('user:attacker').join('user:victim'), { code: 'FST_REALTIME_INVALID_ARGUMENT' }, 'in(room).join(another user\'s room) is refused')

  // io.to(socketId) stays Socket.IO's own: it reaches that socket and nobody else.
  server.app.realtime.io?.to(ioWelcome.connectionId).emit('direct', 1)
  t.equal(await ioVictim.next('direct'), 1)
  await server.app.realtime.emit('marker', 2)
  t.equal(await ioAttacker.next('marker'), 2)
  t.notOk(ioAttacker.pending().some(({ event }) => event === 'direct'), 'the attacker got nothing')
  for (const client of [wsVictim, wsAttacker]) client.close()
})

t.test('autoJoin cannot put a connection in a connection id, a reserved name or another user\'s room', async (t) => {
  let victimId = ''
  const server = await startServer(t, { autoJoin: (user) => user?.sub === 'attacker' ? [victimId, '$internal', 'user:victim', 'org:1'] : [] })
  const { client: victim, welcome } = await connect(server.wsUrl, { token: server.token('victim') })
  victimId = welcome.connectionId
  const { client: attacker, welcome: attackerWelcome } = await connect(server.wsUrl, { token: server.token('attacker') })
  t.same([...attackerWelcome.rooms].sort(), ['org:1', 'user:attacker'])
  await server.app.realtime.toUser('victim').emit('private', 1)
  t.match(await victim.next('event'), { event: 'private' })
  await server.app.realtime.to('org:1').emit('marker', 2)
  t.match(await attacker.next('event'), { event: 'marker' }, 'the attacker\'s next event is the marker, not the victim\'s')
  victim.close()
  attacker.close()
})

t.test('a client relay reaches only rooms the client is in; an empty selection is refused (both transports)', async (t) => {
  const server = await startServer(t, options, {}, (app) => {
    app.realtime.on('relay', (data: { rooms: string | string[] }, client) => client.to(data.rooms).emit('relayed', { from: client.userId }))
  })
  const { client: sender } = await connect(server.wsUrl, { token: server.token('a', { org: '1' }) })
  const { client: ioSender } = await ioConnect(t, server.httpUrl, { token: server.token('b', { org: '1' }) })
  const { client: otherTenant } = await connect(server.wsUrl, { token: server.token('c', { org: '2' }) })

  for (const rooms of ['org:2', 'user:c', [], ['org:1', 'org:2']]) {
    t.match(await sender.request({ type: 'emit', event: 'relay', data: { rooms } }), { type: 'error', code: 'FORBIDDEN' }, `ws: ${JSON.stringify(rooms)} refused`)
    t.match(await ioSender.request('relay', { rooms }), { ok: false, error: { code: 'FORBIDDEN' } }, `Socket.IO: ${JSON.stringify(rooms)} refused`)
  }
  t.match(await sender.request({ type: 'emit', event: 'relay', data: { rooms: 'org:1' } }), { type: 'ack' }, 'a relay to its own room is accepted')
  t.same(await ioSender.next('relayed'), { from: 'a' }, 'and reaches the other members')
  await server.app.realtime.to('org:2').emit('marker', 1)
  t.match(await otherTenant.next('event'), { event: 'marker' }, 'the other tenant received no relay')
  sender.close()
  otherTenant.close()
})
