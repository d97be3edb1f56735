import { test } from 'tap'
import { MemoryBroker, type ServerFrame } from '../lib/index'
import { startServer } from './helpers/app'
import { connect, refused } from './helpers/ws-client'

type EventFrame = Extract<ServerFrame, { type: 'event' }>

test('app.realtime.history() pages a room\'s history, with the position to resume from', async (t) => {
  const node = await startServer(t, { recovery: { historySize: 10, maxReplay: 4 } })
  for (let n = 1; n <= 15; n++) await node.app.realtime.to('feed').emit('tick', { n })
  const latest = await node.app.realtime.history('feed')
  t.equal(latest.position.offset, 15)
  t.same(latest.events.map((event) => event.offset), [12, 13, 14, 15], 'the latest maxReplay events')
  t.same(latest.events[0], { offset: 12, event: 'tick', data: { n: 12 } })
  t.equal(latest.complete, true)
  const since = await node.app.realtime.history('feed', { since: 13, limit: 10 })
  t.same(since.events.map((event) => event.offset), [14, 15])
  const trimmed = await node.app.realtime.history('feed', { since: 0, limit: 10 })
  t.equal(trimmed.complete, false, 'the first events are no longer kept')
  t.equal(trimmed.events[0].offset > 1, true)
  const empty = await node.app.realtime.history('nothing-yet')
  t.same(empty, { position: { offset: 0, epoch: '' }, events: [], complete: true })
  await t.rejects(node.app.realtime.history('feed', { limit: 11 }), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  await t.rejects(node.app.realtime.history('feed', { since: -1 }), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  await t.rejects(node.app.realtime.history(''), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
})

test('history() needs recovery on, and a room that keeps history', async (t) => {
  const off = await startServer(t)
  await t.rejects(off.app.realtime.history('feed'), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  const some = await startServer(t, { recovery: { rooms: (room) => room.startsWith('order:') } })
  await t.rejects(some.app.realtime.history('chat:1'), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  const { client } = await connect(some.wsUrl, { token: some.token('u1') })
  t.teardown(() => client.close())
  await client.request({ type: 'join', room: 'chat:1' })
  await some.app.realtime.to('chat:1').emit('tick', {})
  t.equal((await client.next('event') as EventFrame).position, undefined, 'a room without history: no position')
  await some.app.realtime.toUser('u1').emit('tick', {})
  t.equal((await client.next('event') as EventFrame).position, undefined, 'user: rooms keep history only if rooms() says so')
})

test('direct events to a user are kept by default, and reach a client that was away', async (t) => {
  const node = await startServer(t, { recovery: true })
  const { client, welcome } = await connect(node.wsUrl, { token: node.token('u1') })
  client.ws.terminate()
  await client.closed
  await node.app.realtime.toUser('u1').emit('notification:new', { text: 'shipped' })
  const resume = encodeURIComponent(JSON.stringify({ 'user:u1': welcome.positions?.['user:u1'] }))
  const back = await connect(`${node.wsUrl}?resume=${resume}`, { token: node.token('u1') })
  t.teardown(() => back.client.close())
  t.same(back.welcome.resumed, { 'user:u1': true })
  const event = await back.client.next('event') as EventFrame
  t.same({ ...event, position: undefined }, { type: 'event', event: 'notification:new', data: { text: 'shipped' }, position: undefined })
  t.equal(event.position?.room, 'user:u1')
})

test('a reconnect storm reads a room\'s history once per position, not once per client', async (t) => {
  const broker = new MemoryBroker()
  const busA = broker.createBus()
  const busB = broker.createBus()
  t.teardown(async () => { await busA.close(); await busB.close() })
  let reads = 0
  const readHistory = busB.readHistory.bind(busB)
  busB.readHistory = async (...args) => {
    if (args[2] > 0) reads++
    return await readHistory(...args)
  }
  const options = { recovery: true, autoJoin: () => ['feed'] }
  const a = await startServer(t, { ...options, bus: busA })
  const b = await startServer(t, { ...options, bus: busB })
  const clients = await Promise.all(Array.from({ length: 30 }, async (_, i) => await connect(a.wsUrl, { token: a.token(`u${i}`) })))
  await a.app.realtime.to('feed').emit('tick', { n: 1 })
  const positions = await Promise.all(clients.map(async ({ client }) => (await client.next('event') as EventFrame).position))
  for (const { client } of clients) client.ws.terminate()
  await Promise.all(clients.map(async ({ client }) => await client.closed))
  for (let n = 2; n <= 4; n++) await a.app.realtime.to('feed').emit('tick', { n })
  const back = await Promise.all(positions.map(async (position, i) => await connect(`${b.wsUrl}?resume=${encodeURIComponent(JSON.stringify({ feed: position }))}`, { token: a.token(`u${i}`) })))
  t.teardown(() => { for (const { client } of back) client.close() })
  t.ok(back.every(({ welcome }) => welcome.resumed?.feed === true), 'every client resumed')
  for (const { client } of back) {
    const replayed = [await client.next('event'), await client.next('event'), await client.next('event')] as EventFrame[]
    t.same(replayed.map((frame) => (frame.data as { n: number }).n), [2, 3, 4])
  }
  t.ok(reads <= 2, `history read ${reads} time(s) for 30 resumes`)
  t.match(b.app.realtime.stats(), { roomsRecovered: 30, roomsNotRecovered: 0 })
})

test('a client ahead of the room\'s top does not recover, and cannot make the other members reload', async (t) => {
  const node = await startServer(t, { recovery: true, autoJoin: () => ['feed'] })
  await node.app.realtime.to('feed').emit('tick', { n: 1 })
  const { epoch } = (await node.app.realtime.history('feed')).position
  const ahead = await connect(`${node.wsUrl}?resume=${encodeURIComponent(JSON.stringify({ feed: { offset: 5, epoch } }))}`, { token: node.token('u1') })
  t.teardown(() => ahead.client.close())
  t.same(ahead.welcome.resumed, { feed: false })
  t.same(ahead.welcome.positions?.feed, { offset: 1, epoch })
  t.equal((await node.app.realtime.history('feed')).position.epoch, epoch, 'the same epoch: a made-up position fences nothing')
  const behind = await connect(`${node.wsUrl}?resume=${encodeURIComponent(JSON.stringify({ feed: { offset: 0, epoch } }))}`, { token: node.token('u2') })
  t.teardown(() => behind.client.close())
  t.same(behind.welcome.resumed, { feed: true }, 'an honest client still recovers')
  t.same(((await behind.client.next('event')) as EventFrame).data, { n: 1 })
  t.match(node.app.realtime.stats(), { roomsRecovered: 1, roomsNotRecovered: 1, streamResets: 0 })
})

test('a resume with an expired or revoked token is refused before anything is replayed', async (t) => {
  const revoked = new Set(['u2'])
  const node = await startServer(t, { recovery: true, autoJoin: () => ['feed'], auth: { trusted: (payload) => !revoked.has(String(payload.sub)) } })
  await node.app.realtime.to('feed').emit('tick', { n: 1 })
  const resume = `?resume=${encodeURIComponent(JSON.stringify({ feed: { offset: 0, epoch: '' } }))}`
  const expired = node.app.jwt.sign({ sub: 'u1', exp: Math.floor(Date.now() / 1000) - 10 })
  t.equal((await refused(node.wsUrl + resume, { token: expired })).statusCode, 401)
  t.equal((await refused(node.wsUrl + resume, { token: node.token('u2') })).statusCode, 401)
  t.match(node.app.realtime.stats(), { roomsRecovered: 0, roomsNotRecovered: 0 })
})

test('without recovery a resume parameter is ignored and events carry no positions', async (t) => {
  const node = await startServer(t, { autoJoin: () => ['feed'] })
  const { client, welcome } = await connect(`${node.wsUrl}?resume=${encodeURIComponent('{"feed":{"offset":1,"epoch":"x"}}')}`, { token: node.token('u1') })
  t.teardown(() => client.close())
  t.equal(welcome.positions, undefined)
  t.equal(welcome.resumed, undefined)
  await node.app.realtime.to('feed').emit('tick', {})
  t.same(await client.next('event'), { type: 'event', event: 'tick', room: 'feed', data: {} })
})

test('history reads are bounded per node: beyond 16 at once they wait their turn', async (t) => {
  const bus = new MemoryBroker().createBus()
  t.teardown(() => bus.close())
  let running = 0
  let most = 0
  const gates: Array<() => void> = []
  const readHistory = bus.readHistory.bind(bus)
  bus.readHistory = async (...args) => {
    most = Math.max(most, ++running)
    await new Promise<void>((resolve) => gates.push(resolve))
    running--
    return await readHistory(...args)
  }
  const node = await startServer(t, { bus, recovery: true })
  const pages = Promise.all(Array.from({ length: 40 }, async (_, i) => await node.app.realtime.history(`room:${i}`)))
  const settled = pages.then(() => true)
  for (let turns = 0; turns < 1000 && !await Promise.race([settled, Promise.resolve(false)]); turns++) {
    gates.shift()?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.equal((await pages).length, 40)
  t.equal(most, 16)
})
