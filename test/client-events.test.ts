import t from 'tap'
import { startServer } from './helpers/app'
import { newClient, nextEvent } from './helpers/realtime-client'

interface ServerEvents {
  'order:status_updated': (data: { orderId: string, status: 'paid' | 'shipped' }) => void
  'notification:new': (data: { text: string }) => void
}

interface ClientEvents {
  'chat:send': (data: { text: string }) => { id: number }
  'presence:away': () => void
}

t.test('on() delivers server events with their data and the room they were sent to', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(5) })
  await client.connect()
  await client.join('order:9')
  const toRoom = nextEvent(client, 'order:status_updated')
  await server.app.realtime.to('order:9').emit('order:status_updated', { orderId: '9', status: 'shipped' })
  t.same(await toRoom, { data: { orderId: '9', status: 'shipped' }, room: 'order:9' })
  const direct = nextEvent(client, 'notification:new')
  await server.app.realtime.toUser(5).emit('notification:new', { text: 'Shipped' })
  t.same(await direct, { data: { text: 'Shipped' }, room: undefined }, 'direct sends carry no room')
  const broadcast = nextEvent(client, 'maintenance')
  await server.app.realtime.emit('maintenance', null)
  t.same(await broadcast, { data: null, room: undefined }, 'broadcasts carry no room')
})

t.test('off() stops a listener; other listeners of the event keep receiving', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(5) })
  await client.connect()
  const removed: unknown[] = []
  const kept: unknown[] = []
  const removedListener = (data: unknown): void => { removed.push(data) }
  client.on('tick', removedListener)
  client.on('tick', (data) => { kept.push(data) })
  const first = nextEvent(client, 'tick')
  await server.app.realtime.emit('tick', 1)
  await first
  client.off('tick', removedListener)
  const second = nextEvent(client, 'tick')
  await server.app.realtime.emit('tick', 2)
  await second
  t.same(removed, [1])
  t.same(kept, [1, 2])
})

t.test('a listener added twice is called once per event', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(5) })
  await client.connect()
  const seen: unknown[] = []
  const listener = (data: unknown): void => { seen.push(data) }
  client.on('tick', listener).on('tick', listener)
  const done = nextEvent(client, 'tick')
  await server.app.realtime.emit('tick', 1)
  await done
  t.same(seen, [1])
})

t.test('a server event with a lifecycle name is reported as a PROTOCOL_ERROR, not delivered as one', async (t) => {
  const server = await startServer(t)
  const client = newClient(t, { url: server.wsUrl, token: server.token(5) })
  await client.connect()
  let reconnecting = 0
  client.on('reconnecting', () => { reconnecting++ })
  const error = nextEvent(client, 'error')
  // (`disconnect` itself the server refuses to send: it is reserved by Socket.IO too.)
  await server.app.realtime.emit('reconnecting', { attempt: 1, delay: 0, code: 1006, reason: '' })
  t.match(await error, { code: 'PROTOCOL_ERROR', message: /reserves/ })
  t.equal(reconnecting, 0)
  t.equal(client.connected, true)
})

t.test('typed event maps type listeners, emitted data and acks', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('chat:send', (data: { text: string }) => ({ id: data.text.length }))
  const client = newClient<ServerEvents, ClientEvents>(t, { url: server.wsUrl, token: server.token(5) })
  await client.connect()
  // Listeners only declare types here; the assignments fail to compile if the map is not applied.
  const statuses: Array<'paid' | 'shipped'> = []
  const rooms: Array<string | undefined> = []
  client.on('order:status_updated', (data, room) => { statuses.push(data.status); rooms.push(room) })
  const reconnects: boolean[] = []
  client.on('disconnect', (event) => { reconnects.push(event.willReconnect) })
  // @ts-expect-error an event the map does not have
  client.on('order:unknown', () => {})
  // @ts-expect-error a listener whose data does not match the map
  client.on('notification:new', (data: { title: number }) => { rooms.push(String(data.title)) })
  const ack = await client.emitWithAck('chat:send', { text: 'hello' })
  const id: number = ack.id
  t.equal(id, 5)
  t.equal(client.emit('presence:away'), true, 'data may be left out when the event takes none')
  // @ts-expect-error data of the wrong type
  await client.emitWithAck('chat:send', { text: 42 }).catch(() => {})
  // @ts-expect-error data is required
  client.emit('chat:send')
})
