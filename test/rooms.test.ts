import t from 'tap'
import { startServer } from './helpers/app'
import { waitFor } from './helpers/wait-for'
import { connect } from './helpers/ws-client'

t.test('an authenticated client auto-joins user:{id} and the rooms autoJoin returns', async (t) => {
  const server = await startServer(t, { autoJoin: (user) => [`org:${String(user?.orgId)}`, 'dashboard'] })
  const { client, welcome } = await connect(server.wsUrl, { token: server.token(42, { orgId: 7 }) })
  t.same(welcome.rooms, ['user:42', 'org:7', 'dashboard'])
  t.equal(await server.app.realtime.roomSize('org:7'), 1)
  client.close()
})

t.test('frames sent right after open, while an async autoJoin runs, are all handled in order', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const server = await startServer(t, { autoJoin: async () => { await gate; return ['slow'] } })
  const seen: unknown[] = []
  server.app.realtime.on('note', (data) => { seen.push(data); return data })
  const { open } = await import('./helpers/ws-client')
  const client = await open(server.wsUrl, { token: server.token(1) })
  for (let i = 0; i < 5; i++) client.send({ type: 'emit', event: 'note', data: i, id: `n${i}` })
  release()
  const welcome = await client.next('welcome')
  t.same(welcome.rooms, ['user:1', 'slow'])
  for (let i = 0; i < 5; i++) t.same(await client.next('ack'), { type: 'ack', id: `n${i}`, data: i })
  t.same(seen, [0, 1, 2, 3, 4])
  client.close()
})

t.test('join and leave are acknowledged and change membership', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  t.same(await client.request({ type: 'join', room: 'order:1', id: 'j' }), { type: 'ack', id: 'j', data: { room: 'order:1' } })
  t.equal(await server.app.realtime.roomSize('order:1'), 1)
  t.same(await client.request({ type: 'leave', room: 'order:1', id: 'l' }), { type: 'ack', id: 'l', data: { room: 'order:1' } })
  t.equal(await server.app.realtime.roomSize('order:1'), 0)
  client.close()
})

t.test('a join is applied before the frames sent after it are handled', async (t) => {
  const server = await startServer(t, { canJoin: async () => await new Promise((resolve) => setImmediate(resolve, true)) })
  server.app.realtime.on('where', (_data, client) => [...client.rooms])
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  client.send({ type: 'join', room: 'a' })
  t.match(await client.request({ type: 'emit', event: 'where' }), { type: 'ack', data: ['user:1', 'a'] })
  client.close()
})

t.test('refuses room names that are empty, too long, not strings or contain control characters', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  const badNames = { empty: '', tooLong: 'x'.repeat(201), number: 42, null: null, newline: 'bad\nroom', nul: 'bad\u0000room', lineSeparator: 'bad\u2028room' }
  for (const [kind, room] of Object.entries(badNames)) {
    t.match(await client.request({ type: 'join', room }), { type: 'error', code: 'BAD_REQUEST' }, `refuses a room name: ${kind}`)
  }
  t.match(await client.request({ type: 'join', room: 'x'.repeat(200) }), { type: 'ack' }, '200 characters is fine')
  client.close()
})

t.test("never lets a client join another user's room, whatever canJoin says", async (t) => {
  const server = await startServer(t, { canJoin: () => true })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  t.match(await client.request({ type: 'join', room: 'user:2' }), { type: 'error', code: 'FORBIDDEN', message: 'Not allowed to join this room' })
  t.match(await client.request({ type: 'join', room: 'user:1' }), { type: 'ack' }, 'its own room is a no-op')
  t.match(await client.request({ type: 'leave', room: 'user:1' }), { type: 'error', code: 'FORBIDDEN' }, 'and it cannot leave it')
  client.close()
})

t.test("refuses another tenant's room with FORBIDDEN, without saying whether it exists", async (t) => {
  const server = await startServer(t, { canJoin: (user, room) => room === `org:${String(user?.orgId)}` })
  const other = await connect(server.wsUrl, { token: server.token(2, { orgId: 8 }) })
  t.match(await other.client.request({ type: 'join', room: 'org:8' }), { type: 'ack' })
  const { client } = await connect(server.wsUrl, { token: server.token(1, { orgId: 7 }) })
  const existing = await client.request({ type: 'join', room: 'org:8' })
  const missing = await client.request({ type: 'join', room: 'org:9' })
  t.match(existing, { type: 'error', code: 'FORBIDDEN' })
  t.same({ ...existing, id: 0 }, { ...missing, id: 0 }, 'an existing room and a missing one are refused alike')
  client.close()
  other.client.close()
})

t.test('refuses joins beyond maxRoomsPerConnection with TOO_MANY_ROOMS', async (t) => {
  const server = await startServer(t, { maxRoomsPerConnection: 3 })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  t.match(await client.request({ type: 'join', room: 'a' }), { type: 'ack' })
  t.match(await client.request({ type: 'join', room: 'b' }), { type: 'ack' })
  t.match(await client.request({ type: 'join', room: 'c' }), { type: 'error', code: 'TOO_MANY_ROOMS' }, 'user:1 counts too')
  client.close()
})

t.test('a canJoin that throws answers INTERNAL and the connection stays open', async (t) => {
  const server = await startServer(t, { canJoin: () => { throw new Error('db down') } })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  t.match(await client.request({ type: 'join', room: 'a' }), { type: 'error', code: 'INTERNAL', message: 'Internal error' })
  t.match(await client.request({ type: 'ping' }), { type: 'pong' })
  client.close()
})

t.test('a closed connection leaves all its rooms', async (t) => {
  const server = await startServer(t)
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  await client.request({ type: 'join', room: 'a' })
  client.close()
  await client.closed
  await waitFor(async () => await server.app.realtime.count() === 0)
  t.equal(await server.app.realtime.roomSize('a'), 0)
  t.equal(await server.app.realtime.count(), 0)
})

t.test('a handler that joins its client to a room after the client has gone leaves no member behind', async (t) => {
  const server = await startServer(t)
  let clientGone: () => void = () => {}
  const gone = new Promise<void>((resolve) => { clientGone = resolve })
  let joined: () => void = () => {}
  const afterJoin = new Promise<void>((resolve) => { joined = resolve })
  server.app.realtime.on('subscribe-later', async (_data, client) => {
    await gone
    client.join('late')
    joined()
  })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  client.send({ type: 'emit', event: 'subscribe-later', data: null })
  client.close()
  await waitFor(async () => await server.app.realtime.count() === 0)
  clientGone()
  await afterJoin
  t.equal(await server.app.realtime.roomSize('late'), 0)
})
