import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import type { Client, EventPosition, LifecycleEvents, StreamPosition } from '../lib/client'
import { MAX_RESUME_LENGTH, MAX_RESUME_ROOMS, selectResume, withResume } from '../lib/client/resume-request'
import { newClient } from './helpers/realtime-client'

// The client's half of recovery, pinned against a bare `ws` server that speaks the frames a
// server with `recovery` on sends (docs/protocol.md): positions, resume, resumed, recovery:reset.

const FAST_RECONNECT = { initialDelay: 5, maxDelay: 10 }

type Frame = Record<string, unknown>

/** Items in arrival order; `until(n)` waits for the n-th, bounded. */
class Recorder<T> {
  readonly items: T[] = []
  private waiters: Array<{ count: number, resolve: () => void }> = []

  push (item: T): void {
    this.items.push(item)
    this.waiters = this.waiters.filter((waiter) => {
      if (this.items.length < waiter.count) return true
      waiter.resolve()
      return false
    })
  }

  async until (count: number, timeoutMs = 5_000): Promise<T[]> {
    if (this.items.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${this.items.length} of ${count} items in time`)), timeoutMs)
        this.waiters.push({ count, resolve: () => { clearTimeout(timer); resolve() } })
      })
    }
    return this.items.slice(0, count)
  }

  /** The next item after the `taken` ones already looked at. */
  async next (taken: number): Promise<T> {
    return (await this.until(taken + 1))[taken]
  }
}

/** One connection to the fake server: what its upgrade asked to resume, and the frames the client sent. */
class FakeConnection {
  readonly frames = new Recorder<Frame>()
  private read = 0

  constructor (readonly socket: WebSocket, readonly query: string) {
    socket.on('message', (data: Buffer) => { this.frames.push(JSON.parse(data.toString()) as Frame) })
  }

  /** The raw value of the `resume` parameter, as the URL carried it. */
  get rawResume (): string | undefined {
    return /(?:^|&)resume=([^&]*)/.exec(this.query)?.[1]
  }

  get resume (): Record<string, StreamPosition> | undefined {
    const raw = this.rawResume
    return raw === undefined ? undefined : JSON.parse(decodeURIComponent(raw)) as Record<string, StreamPosition>
  }

  async nextFrame (): Promise<Frame> {
    return await this.frames.next(this.read++)
  }

  send (frame: Frame): void {
    this.socket.send(JSON.stringify(frame))
  }

  welcome (fields: Frame = {}): void {
    this.send({ type: 'welcome', connectionId: `c${Math.random()}`, user: { sub: '1' }, rooms: [], ...fields })
  }

  event (event: string, data: unknown, room: string | undefined, position?: EventPosition): void {
    this.send({ type: 'event', event, data, ...(room === undefined ? {} : { room }), ...(position === undefined ? {} : { position }) })
  }

  /** Answers the client's next frame, a join, with an ack carrying `position` (none: a room without history). */
  async ackJoin (position?: StreamPosition): Promise<string> {
    const frame = await this.nextFrame()
    if (frame.type !== 'join') throw new Error(`expected a join, got ${JSON.stringify(frame)}`)
    const room = frame.room as string
    this.send({ type: 'ack', id: frame.id, data: position === undefined ? { room } : { room, position } })
    return room
  }
}

interface FakeServer {
  url: string
  /** Connections in the order they arrive, the welcome left to the test. */
  connections: Recorder<FakeConnection>
}

async function fakeServer (t: Test): Promise<FakeServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'realtime.v1' })
  await once(server, 'listening')
  t.teardown(() => { for (const socket of server.clients) socket.terminate(); server.close() })
  const connections = new Recorder<FakeConnection>()
  server.on('connection', (socket, request) => {
    connections.push(new FakeConnection(socket, (request.url ?? '').split('?')[1] ?? ''))
  })
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`, connections }
}

interface Delivered { event: string, data: unknown, room: string | undefined, position: EventPosition | undefined }

/** Every delivery of the given server events, with the listener's three arguments. */
function deliveries (client: Client, events: string[]): Recorder<Delivered> {
  const seen = new Recorder<Delivered>()
  for (const event of events) {
    client.on(event, (data: unknown, room: string | undefined, position: EventPosition | undefined) => { seen.push({ event, data, room, position }) })
  }
  return seen
}

function lifecycle<E extends keyof LifecycleEvents> (client: Client, event: E): Recorder<LifecycleEvents[E]> {
  const seen = new Recorder<LifecycleEvents[E]>()
  client.on(event, (payload: LifecycleEvents[E]) => { seen.push(payload) })
  return seen
}

const at = (room: string, offset: number, epoch = 'e1'): EventPosition => ({ room, offset, epoch })

t.test('with recovery off the client behaves as before: no resume, join frames, no position, nothing recovered', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: FAST_RECONNECT })
  const ticks = deliveries(client, ['tick'])
  const recovered = lifecycle(client, 'recovered')
  const reconnects = lifecycle(client, 'reconnect')
  const connected = client.connect()
  const first = await server.connections.next(0)
  first.welcome({ connectionId: 'c1', rooms: ['user:1'] })
  t.same(await connected, { connectionId: 'c1', user: { sub: '1' }, rooms: ['user:1'] }, 'the welcome payload is the same as ever')
  const joined = client.join('order:1')
  await first.ackJoin()
  await joined
  first.event('tick', { seq: 1 }, 'order:1')
  first.event('tick', { seq: 1 }, 'order:1')
  t.same(await ticks.until(2), [
    { event: 'tick', data: { seq: 1 }, room: 'order:1', position: undefined },
    { event: 'tick', data: { seq: 1 }, room: 'order:1', position: undefined }
  ], 'without positions nothing is taken for a duplicate')

  first.socket.terminate()
  const second = await server.connections.next(1)
  t.equal(second.query, '', 'no resume parameter')
  second.welcome({ rooms: ['user:1'] })
  t.equal(await second.ackJoin(), 'order:1', 'the room is re-joined with a join frame')
  t.same(await reconnects.until(1), [{ attempts: 1, rejoined: ['order:1'], failed: [], recovered: {} }])
  t.same(recovered.items, [])
})

t.test('an event at or before the known position of its room is dropped; a new epoch is taken', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: false })
  const ticks = deliveries(client, ['tick', 'note'])
  const connected = client.connect()
  const conn = await server.connections.next(0)
  conn.welcome({ rooms: ['user:1'], positions: { 'user:1': { offset: 5, epoch: 'e1' } } })
  const welcome = await connected
  t.same(welcome.positions, { 'user:1': { offset: 5, epoch: 'e1' } }, 'the welcome payload carries the positions')
  conn.event('tick', 5, undefined, at('user:1', 5)) // the welcome's own position: delivered before it
  conn.event('tick', 6, undefined, at('user:1', 6))
  conn.event('tick', 6, undefined, at('user:1', 6))
  conn.event('tick', 4, undefined, at('user:1', 4))
  conn.event('tick', 7, undefined, at('user:1', 7))
  conn.event('tick', 1, undefined, at('user:1', 1, 'e2')) // the stream started over
  conn.event('tick', 2, undefined, at('user:1', 2, 'e2'))
  conn.event('note', 'no history', 'lobby')
  const seen = await ticks.until(5)
  t.same(seen.map(({ data }) => data), [6, 7, 1, 2, 'no history'])
  t.same(seen[0], { event: 'tick', data: 6, room: undefined, position: at('user:1', 6) }, 'the position is the listener\'s third argument')
  t.equal(seen[4].position, undefined, 'no position for a room without history')
})

t.test('a room whose stream has not begun ({ offset: 0, epoch: "" }) is resumed from there and takes its first event', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: FAST_RECONNECT })
  const ticks = deliveries(client, ['tick'])
  const connected = client.connect()
  const first = await server.connections.next(0)
  const quiet = { 'user:1': { offset: 0, epoch: '' } }
  first.welcome({ rooms: ['user:1'], positions: quiet })
  await connected
  first.socket.terminate()
  const second = await server.connections.next(1)
  t.same(second.resume, quiet)
  second.welcome({ rooms: ['user:1'], positions: quiet, resumed: { 'user:1': true } })
  second.event('tick', 1, undefined, at('user:1', 1, 'k3x9'))
  t.same((await ticks.until(1)).map(({ data }) => data), [1], 'the first event of the stream, in a new epoch')
  second.socket.terminate()
  const third = await server.connections.next(2)
  t.same(third.resume, { 'user:1': { offset: 1, epoch: 'k3x9' } })
})

t.test('a join ack\'s position is where the room\'s events start, unless the client already follows its stream', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: false })
  const ticks = deliveries(client, ['tick'])
  const connected = client.connect()
  const conn = await server.connections.next(0)
  conn.welcome()
  await connected
  const joined = client.join('order:1')
  await conn.ackJoin({ offset: 3, epoch: 'e1' })
  await joined
  conn.event('tick', 3, 'order:1', at('order:1', 3))
  conn.event('tick', 4, 'order:1', at('order:1', 4))
  t.same((await ticks.until(1)).map(({ data }) => data), [4], 'the event at the ack\'s position came before the join')
  // Joined again while in it: an ack ahead of the events still on their way must not make the client skip them.
  const again = client.join('order:1')
  await conn.ackJoin({ offset: 6, epoch: 'e1' })
  await again
  conn.event('tick', 5, 'order:1', at('order:1', 5))
  conn.event('tick', 6, 'order:1', at('order:1', 6))
  t.same((await ticks.until(3)).map(({ data }) => data), [4, 5, 6])
})

t.test('a reconnect resumes the rooms with a position; the server replays, the client re-joins only the others', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: FAST_RECONNECT })
  const log = new Recorder<string>()
  client.on('tick', (data: unknown, room: string | undefined) => { log.push(`tick ${room ?? '-'} ${String(data)}`) })
  client.on('recovered', ({ room, recovered, cause, position }) => { log.push(`recovered ${room} ${String(recovered)} ${cause} ${position?.offset ?? '-'}`) })
  client.on('welcome', () => { log.push('welcome') })
  const reconnects = lifecycle(client, 'reconnect')
  const connected = client.connect()
  const first = await server.connections.next(0)
  t.equal(first.rawResume, undefined, 'nothing to resume on the first connect')
  first.welcome({ rooms: ['user:1'], positions: { 'user:1': { offset: 4, epoch: 'u1' } } })
  await connected
  const joins = Promise.all([client.join('order:1'), client.join('plain')])
  await first.ackJoin({ offset: 2, epoch: 'e1' })
  await first.ackJoin()
  await joins
  first.event('tick', 3, 'order:1', at('order:1', 3))
  await log.until(2)

  first.socket.terminate()
  const second = await server.connections.next(1)
  t.same(second.resume, { 'order:1': { offset: 3, epoch: 'e1' }, 'user:1': { offset: 4, epoch: 'u1' } },
    'the rooms it joined and those of its welcome, with their last positions; not the room without history')
  t.equal(second.rawResume, encodeURIComponent(JSON.stringify(second.resume)), 'resume= and the URI-encoded JSON')
  second.welcome({
    rooms: ['user:1', 'order:1'],
    positions: { 'user:1': { offset: 9, epoch: 'u1' }, 'order:1': { offset: 3, epoch: 'e1' } },
    resumed: { 'order:1': true, 'user:1': false }
  })
  // The replay follows the welcome; one event overlaps what the client had.
  second.event('tick', 3, 'order:1', at('order:1', 3))
  second.event('tick', 4, 'order:1', at('order:1', 4))
  second.event('tick', 5, 'order:1', at('order:1', 5))
  second.event('tick', 10, undefined, at('user:1', 10))
  t.equal(await second.ackJoin(), 'plain', 'only the room without a position is joined with a frame')
  const reconnect = (await reconnects.until(1))[0]
  t.same(reconnect.rejoined.sort(), ['order:1', 'plain'])
  t.same(reconnect.recovered, { 'order:1': true, 'user:1': false })
  // The overlapping event came first: had it been delivered, it would be in this list.
  t.same(await log.until(8), [
    'welcome', 'tick order:1 3',
    'welcome', 'recovered order:1 true reconnect 3', 'recovered user:1 false reconnect 9',
    'tick order:1 4', 'tick order:1 5', 'tick - 10'
  ], 'recovered right after the welcome, before the replay; nothing delivered twice')
  const pinged = client.ping()
  const frame = await second.nextFrame()
  t.equal(frame.type, 'ping', 'no join frame for the resumed rooms')
  second.send({ type: 'pong', id: frame.id })
  await pinged
})

t.test('a room refused on resume is joined with a frame: a refusal forgets it, a success is recovered: false', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: FAST_RECONNECT })
  const recovered = lifecycle(client, 'recovered')
  const reconnects = lifecycle(client, 'reconnect')
  const connected = client.connect()
  const first = await server.connections.next(0)
  first.welcome()
  await connected
  const joins = Promise.all([client.join('vip'), client.join('desk')])
  await first.ackJoin({ offset: 1, epoch: 'e1' })
  await first.ackJoin({ offset: 1, epoch: 'e1' })
  await joins
  first.socket.terminate()
  const second = await server.connections.next(1)
  t.same(Object.keys(second.resume ?? {}).sort(), ['desk', 'vip'])
  second.welcome({ rooms: [], positions: {}, resumed: { vip: false, desk: false } })
  const frames = [await second.nextFrame(), await second.nextFrame()]
  for (const frame of frames) {
    if (frame.room === 'vip') second.send({ type: 'error', id: frame.id, code: 'FORBIDDEN', message: 'no' })
    else second.send({ type: 'ack', id: frame.id, data: { room: frame.room, position: { offset: 7, epoch: 'e1' } } })
  }
  const reconnect = (await reconnects.until(1))[0]
  t.same(reconnect.rejoined, ['desk'])
  t.match(reconnect.failed, [{ room: 'vip', error: { code: 'FORBIDDEN' }, forgotten: true }])
  t.same(reconnect.recovered, { desk: false })
  t.same(recovered.items, [{ room: 'desk', recovered: false, cause: 'reconnect', position: { offset: 7, epoch: 'e1' } }])
  t.same(client.rooms, ['desk'])
})

t.test('a room named __proto__ is resumed like any other', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: FAST_RECONNECT })
  const reconnects = lifecycle(client, 'reconnect')
  const connected = client.connect()
  const first = await server.connections.next(0)
  first.welcome()
  await connected
  const joined = client.join('__proto__')
  await first.ackJoin({ offset: 2, epoch: 'e1' })
  await joined
  first.socket.terminate()
  const second = await server.connections.next(1)
  t.equal(second.rawResume, encodeURIComponent('{"__proto__":{"offset":2,"epoch":"e1"}}'))
  second.send({ type: 'welcome', connectionId: 'c2', user: null, rooms: ['__proto__'], positions: {}, resumed: {} })
  const [reconnect] = await reconnects.until(1)
  t.ok(Object.hasOwn(reconnect.recovered, '__proto__'), 'an own key of the outcome')
  t.equal(Object.getOwnPropertyDescriptor(reconnect.recovered, '__proto__')?.value, false)
})

t.test('past 100 rooms the most recently active are resumed and the rest re-joined, each of those recovered: false', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: FAST_RECONNECT })
  const recovered = lifecycle(client, 'recovered')
  const reconnects = lifecycle(client, 'reconnect')
  const ticks = deliveries(client, ['tick'])
  const connected = client.connect()
  const first = await server.connections.next(0)
  first.welcome()
  await connected
  const rooms = Array.from({ length: 120 }, (_, i) => `desk:${i}`)
  const joins = Promise.all(rooms.map(async (room) => { await client.join(room) }))
  for (let i = 0; i < rooms.length; i++) await first.ackJoin({ offset: 1, epoch: 'e1' })
  await joins
  // The five oldest joins become the most recent activity.
  for (let i = 0; i < 5; i++) first.event('tick', i, rooms[i], at(rooms[i], 2))
  await ticks.until(5)

  first.socket.terminate()
  const second = await server.connections.next(1)
  const named = Object.keys(second.resume ?? {})
  t.equal(named.length, MAX_RESUME_ROOMS)
  t.same(named.slice(0, 5), ['desk:4', 'desk:3', 'desk:2', 'desk:1', 'desk:0'], 'the most recently active first')
  const left = rooms.slice(5, 25)
  t.same(rooms.filter((room) => !named.includes(room)), left, 'the 20 least recently active are left out')
  second.welcome({
    rooms: named,
    positions: Object.fromEntries(named.map((room) => [room, second.resume?.[room]])),
    resumed: Object.fromEntries(named.map((room) => [room, true]))
  })
  const joined: string[] = []
  for (let i = 0; i < left.length; i++) joined.push(await second.ackJoin({ offset: 3, epoch: 'e1' }))
  t.same(joined.sort(), [...left].sort(), 'the others are joined with frames')
  const reconnect = (await reconnects.until(1))[0]
  t.equal(Object.values(reconnect.recovered).filter((value) => value).length, 100)
  t.same(Object.keys(reconnect.recovered).filter((room) => !reconnect.recovered[room]).sort(), [...left].sort())
  const outcomes = await recovered.until(120)
  t.ok(outcomes.every(({ cause }) => cause === 'reconnect'))
})

t.test('the resume request stays within 100 rooms and its length bound; a URL with a query gets one more parameter', async (t) => {
  const long = (i: number): [string, StreamPosition] => [`${'r'.repeat(180)}:${i}`, { offset: 12345, epoch: 'k3x9abcd' }]
  const named = selectResume(Array.from({ length: 100 }, (_, i) => long(i)))
  const parameter = withResume('ws://h/ws', named).split('resume=')[1]
  t.ok(named.size > 10 && named.size < 100, `${named.size} long rooms fit`)
  t.ok(parameter.length <= MAX_RESUME_LENGTH, `${parameter.length} characters`)
  t.equal(selectResume(Array.from({ length: 150 }, (_, i) => [`r${i}`, { offset: i, epoch: 'e' }])).size, MAX_RESUME_ROOMS)
  const one = new Map([['a', { offset: 1, epoch: 'e' }]])
  t.equal(withResume('ws://h/ws?tenant=1', one), `ws://h/ws?tenant=1&resume=${encodeURIComponent('{"a":{"offset":1,"epoch":"e"}}')}`)
  t.equal(withResume('ws://h/ws?', one), `ws://h/ws?resume=${encodeURIComponent('{"a":{"offset":1,"epoch":"e"}}')}`)
  t.equal(withResume('ws://h/ws', new Map()), 'ws://h/ws', 'nothing to resume: the URL as given')
})

t.test('a room left while the reconnect is under way is not resumed, or is left again if the server resumed it', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: FAST_RECONNECT })
  const recovered = lifecycle(client, 'recovered')
  const connected = client.connect()
  const first = await server.connections.next(0)
  first.welcome()
  await connected
  const joins = Promise.all([client.join('a'), client.join('b'), client.join('c')])
  for (let i = 0; i < 3; i++) await first.ackJoin({ offset: 1, epoch: 'e1' })
  await joins
  const disconnected = lifecycle(client, 'disconnect')
  first.socket.terminate()
  await disconnected.until(1)
  await client.leave('c') // while disconnected
  const second = await server.connections.next(1)
  t.same(Object.keys(second.resume ?? {}).sort(), ['a', 'b'])
  await client.leave('a') // the attempt named it already; no welcome yet
  second.welcome({
    rooms: ['a', 'b'],
    positions: { a: { offset: 1, epoch: 'e1' }, b: { offset: 1, epoch: 'e1' } },
    resumed: { a: true, b: true }
  })
  const frame = await second.nextFrame()
  t.match(frame, { type: 'leave', room: 'a' }, 'the server joined it back: the client leaves it')
  second.send({ type: 'ack', id: frame.id, data: { room: 'a' } })
  t.same(await recovered.until(1), [{ room: 'b', recovered: true, cause: 'reconnect', position: { offset: 1, epoch: 'e1' } }])
  t.same(client.rooms, ['b'])
})

t.test('recovery:reset tells the app to reload the room and moves its position; it never reaches a listener of that name', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: false })
  const ticks = deliveries(client, ['tick', 'recovery:reset'])
  const recovered = lifecycle(client, 'recovered')
  const errors = lifecycle(client, 'error')
  const connected = client.connect()
  const conn = await server.connections.next(0)
  conn.welcome({ rooms: ['user:1'], positions: { 'user:1': { offset: 5, epoch: 'e1' } } })
  await connected
  conn.event('recovery:reset', { room: 'user:1', position: { offset: 20, epoch: 'e2' } }, 'user:1')
  conn.event('tick', 20, undefined, at('user:1', 20, 'e2'))
  conn.event('tick', 21, undefined, at('user:1', 21, 'e2'))
  t.same(await recovered.until(1), [{ room: 'user:1', recovered: false, cause: 'reset', position: { offset: 20, epoch: 'e2' } }])
  t.same((await ticks.until(1)).map(({ data }) => data), [21])
  conn.event('recovery:reset', { room: 'user:1' }, 'user:1')
  t.match(await errors.until(1), [{ code: 'PROTOCOL_ERROR', message: /recovery:reset/ }])
  conn.event('recovered', { room: 'x' }, 'x')
  t.match((await errors.until(2))[1], { code: 'PROTOCOL_ERROR', message: /reserves/ }, '"recovered" is the client\'s own event name')
  conn.event('tick', 22, undefined, { room: 'user:1', offset: -1, epoch: 'e2' })
  t.match((await errors.until(3))[2], { code: 'PROTOCOL_ERROR', message: /"event" has an unexpected shape/ }, 'a malformed position')
  conn.event('tick', 23, undefined, at('user:1', 23, 'e2'))
  t.same((await ticks.until(2)).map(({ data }) => data), [21, 23])
  t.equal(recovered.items.length, 1)
})

t.test('close() forgets the positions: a later connect() resumes nothing', async (t) => {
  const server = await fakeServer(t)
  const client = newClient(t, { url: server.url, reconnect: false })
  const connected = client.connect()
  const first = await server.connections.next(0)
  first.welcome({ rooms: ['user:1'], positions: { 'user:1': { offset: 5, epoch: 'e1' } } })
  await connected
  client.close()
  const again = client.connect()
  const second = await server.connections.next(1)
  t.equal(second.rawResume, undefined)
  second.welcome()
  await again
})
