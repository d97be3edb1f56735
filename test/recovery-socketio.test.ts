import { test, type Test } from 'tap'
import type { Socket } from 'socket.io-client'
import { MemoryBroker, RedisBus, type Bus, type RealtimeOptions, type WelcomePayload } from '../lib/index'
import { startServer, type TestServer } from './helpers/app'
import { startRedis, type RedisServer } from './helpers/redis-server'
import { ioConnect, ioServer, onceEvent, type ConnectError, type IoOptions, type IoTestClient } from './helpers/socketio-client'
import { startTcpProxy } from './helpers/tcp-proxy'
import { waitFor } from './helpers/wait-for'

/** What the plugin's tokens look like (see lib/recovery/socketio-token.ts). */
const TOKEN_PATTERN = /^[\w-]+(\.[\w-]+)?\.[0-9a-z]+$/

/** How a suite makes the bus of one more node of its cluster. */
interface Setup {
  bus: (t: Test) => Bus
  /** Whether the store holds a session of `pid` now (undefined: the bus keeps its sessions to itself). */
  holds?: (pid: string) => Promise<boolean>
}

/** A node whose bus counts the sessions it is writing, and can be made to write none (a node that dies). */
interface Node extends TestServer {
  /** Resolves once the server has noticed socket `id` is gone and every session write it started is done. */
  persisted: (id: string | undefined) => Promise<void>
  /** Resolves once a session of `pid` has been written `count` times (checkpoints included). */
  saved: (pid: string, count?: number) => Promise<void>
  /** How many times a session of `pid` has been written so far. */
  saves: (pid: string) => number
  /** From now on the node writes no session, as a node that died would not. */
  stopSaving: () => void
}

function keyOf (pid: string): string {
  return `socketio#/#${pid}`
}

function pidOf (socket: Socket): string {
  return (socket as unknown as { _pid: string })._pid
}

async function startNode (t: Test, setup: Setup, options: RealtimeOptions = {}): Promise<Node> {
  const bus = setup.bus(t)
  const save = bus.saveSession.bind(bus)
  let pending = 0
  let saving = true
  const written = new Map<string, number>()
  bus.saveSession = async (id, value, ttl) => {
    if (!saving) return false
    pending++
    try {
      return await save(id, value, ttl)
    } finally {
      pending--
      written.set(id, (written.get(id) ?? 0) + 1)
    }
  }
  const server = await startServer(t, { bus, ...RECOVERY, ...options })
  return {
    ...server,
    persisted: async (id) => {
      await waitFor(() => id !== undefined && !ioServer(server.app).of('/').sockets.has(id as string) && pending === 0)
    },
    saved: async (pid, count = 1) => { await waitFor(() => (written.get(keyOf(pid)) ?? 0) >= count) },
    saves: (pid) => written.get(keyOf(pid)) ?? 0,
    stopSaving: () => { saving = false }
  }
}

function memorySetup (): Setup {
  const broker = new MemoryBroker()
  return {
    bus: (t) => {
      const bus = broker.createBus()
      t.teardown(() => bus.close())
      return bus
    }
  }
}

function redisSetup (redis: RedisServer): Setup {
  return {
    bus: (t) => {
      const bus = new RedisBus({ redis: redis.url })
      t.teardown(() => bus.close())
      return bus
    },
    holds: async (pid) => Number(await redis.command('EXISTS', `fastify-realtime#session#${keyOf(pid)}`)) === 1
  }
}

interface Tick {
  n: number
  room?: string
}

/** The next `count` ticks of a client, each checked to end with a token. */
async function tickData (t: Test, client: IoTestClient, count: number): Promise<Tick[]> {
  const received: Tick[] = []
  const untokened: unknown[][] = []
  for (let i = 0; i < count; i++) {
    const args = await client.nextArgs('tick')
    if (args.length !== 2 || typeof args[1] !== 'string' || !TOKEN_PATTERN.test(args[1])) untokened.push(args)
    received.push(args[0] as Tick)
  }
  t.same(untokened, [], 'every tick is its data, then a token')
  return received
}

async function ticks (t: Test, client: IoTestClient, count: number): Promise<number[]> {
  return (await tickData(t, client, count)).map((tick) => tick.n)
}

/** Sequence numbers by room, each room's in the order they came. */
function byRoom (received: Tick[]): Record<string, number[]> {
  const rooms: Record<string, number[]> = {}
  for (const { n, room = '' } of received) (rooms[room] ??= []).push(n)
  return rooms
}

/** The ticks a client has received and no test has taken yet. */
function pendingTicks (client: IoTestClient): unknown[] {
  return client.pending().filter(({ event }) => event === 'tick').map(({ args }) => args[0])
}

/** Cuts the client's transport as a network drop would, and waits until the client sees it. */
async function cut (client: IoTestClient): Promise<void> {
  const disconnected = onceEvent(client.socket, 'disconnect')
  client.socket.io.engine.close()
  await disconnected
}

/** Connects the client again (to another node when given), as socket.io-client's reconnection does, and waits for its welcome. */
async function reconnect (client: IoTestClient, to?: TestServer): Promise<WelcomePayload> {
  // socket.io-client's Manager keeps its URL private; a reconnect to another node is a load balancer's doing.
  if (to !== undefined) (client.socket.io as unknown as { uri: string }).uri = to.httpUrl
  const connected = Promise.race([
    onceEvent(client.socket, 'connect'),
    onceEvent(client.socket, 'connect_error').then(([err]) => { throw err })
  ])
  client.socket.connect()
  await connected
  return await client.next('welcome') as WelcomePayload
}

/** Connects again and expects a refusal. */
async function reconnectRefused (client: IoTestClient): Promise<ConnectError> {
  const refused = Promise.race([
    onceEvent(client.socket, 'connect').then(() => { throw new Error('connection was accepted') }),
    onceEvent(client.socket, 'connect_error').then(([err]) => err as ConnectError)
  ])
  client.socket.connect()
  return await refused
}

const RECOVERY = { recovery: { maxDisconnectionDuration: 10_000 }, autoJoin: () => ['feed'] } as const

async function connectTo (t: Test, node: TestServer, user = 'u1', options: IoOptions = {}): Promise<{ client: IoTestClient, welcome: WelcomePayload }> {
  return await ioConnect(t, node.httpUrl, { token: node.token(user), ...options })
}

async function emitTicks (node: TestServer, room: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await node.app.realtime.to(room).emit('tick', { n, room })
}

async function suite (name: string, makeSetup: (t: Test) => Promise<Setup>): Promise<void> {
  await test(`${name}: a cut transport recovers: every missed event once and in order, rooms and data restored`, async (t) => {
    const setup = await makeSetup(t)
    const node = await startNode(t, setup)
    ioServer(node.app).of('/').on('connection', (socket) => {
      if (!socket.recovered) socket.data = { since: 'first' }
    })
    const { client, welcome } = await connectTo(t, node)
    t.equal(client.socket.recovered, false)
    t.same([...welcome.rooms].sort(), ['feed', 'user:u1'])
    t.same(await client.request('join', 'extra'), { ok: true })
    await emitTicks(node, 'feed', 1, 3)
    t.same(await ticks(t, client, 3), [1, 2, 3])
    const id = client.socket.id
    const pid = pidOf(client.socket)
    await cut(client)
    await node.persisted(id)
    for (let n = 4; n <= 8; n++) await emitTicks(node, n % 2 === 0 ? 'feed' : 'extra', n, n)
    await node.app.realtime.toUser('u1').emit('tick', { n: 9, room: 'user:u1' })
    const back = await reconnect(client)
    t.equal(client.socket.recovered, true)
    t.equal(client.socket.id, id, 'the same socket id (connection id)')
    t.equal(pidOf(client.socket), pid)
    t.equal(back.connectionId, id)
    t.same([...back.rooms].sort(), ['extra', 'feed', 'user:u1'])
    t.same(back.resumed, { feed: true, extra: true, 'user:u1': true })
    const server = ioServer(node.app).of('/').sockets.get(id as string)
    t.equal(server?.recovered, true)
    t.match(server?.data, { since: 'first', userId: 'u1' }, 'socket.data restored, and who the socket is')
    await emitTicks(node, 'feed', 10, 10)
    t.same(byRoom(await tickData(t, client, 7)), { feed: [4, 6, 8, 10], extra: [5, 7], 'user:u1': [9] })
    t.same(pendingTicks(client), [])
    t.same(await client.request('leave', 'extra'), { ok: true }, 'the restored connection serves requests')
  })

  await test(`${name}: a client recovers on another node, with what either node emitted meanwhile`, async (t) => {
    const setup = await makeSetup(t)
    const first = await startNode(t, setup)
    const second = await startNode(t, setup)
    const { client } = await connectTo(t, first)
    const { client: bystander } = await connectTo(t, second, 'u2')
    await emitTicks(first, 'feed', 1, 2)
    t.same(await ticks(t, client, 2), [1, 2])
    const id = client.socket.id
    await cut(client)
    await first.persisted(id)
    for (let n = 3; n <= 8; n++) await emitTicks(n % 2 === 0 ? first : second, 'feed', n, n)
    const back = await reconnect(client, second)
    t.equal(client.socket.recovered, true)
    t.equal(client.socket.id, id)
    t.same(back.resumed, { feed: true, 'user:u1': true })
    await emitTicks(first, 'feed', 9, 9)
    t.same(await ticks(t, client, 7), [3, 4, 5, 6, 7, 8, 9])
    t.same(await ticks(t, bystander, 9), [1, 2, 3, 4, 5, 6, 7, 8, 9])
    t.same(pendingTicks(client), [])
    t.notOk(ioServer(first.app).of('/').sockets.has(id as string), 'the first node holds nothing of it')
  })

  await test(`${name}: emits that go on while the transport is cut and the client comes back to the other node reach it once, in order`, async (t) => {
    const setup = await makeSetup(t)
    const first = await startNode(t, setup)
    const second = await startNode(t, setup)
    const { client } = await connectTo(t, first)
    t.same(await client.request('join', 'extra'), { ok: true })
    const rooms = ['feed', 'extra', 'user:u1']
    let emitted = 0
    const emitter = { stop: false }
    const emitting = (async () => {
      // Paced (the emits must outlast the cut and the reconnect), bounded, and stopped once the client is back.
      for (let n = 1; n <= 1_000 && !emitter.stop; n++) {
        const room = rooms[n % 3]
        const node = n % 2 === 0 ? first : second
        await (room === 'user:u1' ? node.app.realtime.toUser('u1') : node.app.realtime.to(room)).emit('tick', { n, room })
        emitted = n
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    const received = await tickData(t, client, 10)
    const id = client.socket.id
    await cut(client)
    const atCut = emitted
    await first.persisted(id)
    await reconnect(client, second)
    t.equal(client.socket.recovered, true)
    const atReconnect = emitted
    t.ok(atReconnect > atCut, 'emits went on while the client was away')
    await waitFor(() => emitted > atReconnect + 5)
    emitter.stop = true
    await emitting
    const total = emitted
    received.push(...await tickData(t, client, total - received.length))
    t.same(received.map(({ n }) => n).sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1), 'every event once')
    const expected: Record<string, number[]> = {}
    for (let n = 1; n <= total; n++) (expected[rooms[n % 3]] ??= []).push(n)
    t.same(byRoom(received), expected, 'in order in each room')
    t.same(pendingTicks(client), [])
  })

  await test(`${name}: a client too many events behind gets recovered: false and no partial replay`, async (t) => {
    const setup = await makeSetup(t)
    const node = await startNode(t, setup, { recovery: { maxDisconnectionDuration: 10_000, historySize: 5, maxReplay: 5 } })
    const { client } = await connectTo(t, node)
    t.same(await client.request('join', 'extra'), { ok: true })
    const id = client.socket.id
    await cut(client)
    await node.persisted(id)
    await emitTicks(node, 'feed', 1, 12)
    const back = await reconnect(client)
    t.equal(client.socket.recovered, false)
    t.not(client.socket.id, id, 'a fresh socket')
    t.same([...back.rooms].sort(), ['feed', 'user:u1'], 'only what autoJoin gives')
    t.equal(back.positions?.feed.offset, 12)
    await emitTicks(node, 'feed', 13, 13)
    t.same(await ticks(t, client, 1), [13], 'live events only')
    t.same(pendingTicks(client), [])
  })

  await test(`${name}: a client away longer than maxDisconnectionDuration gets recovered: false`, async (t) => {
    const setup = await makeSetup(t)
    const node = await startNode(t, setup, { recovery: { maxDisconnectionDuration: 200 } })
    const { client } = await connectTo(t, node)
    const pid = pidOf(client.socket)
    const id = client.socket.id
    await cut(client)
    await node.persisted(id)
    const persistedAt = Date.now()
    await emitTicks(node, 'feed', 1, 2)
    // Waiting out the TTL is the point of the test; bounded like any wait.
    if (setup.holds !== undefined) await waitFor(async () => !(await (setup.holds as (pid: string) => Promise<boolean>)(pid)))
    await waitFor(() => Date.now() > persistedAt + 250)
    const back = await reconnect(client)
    t.equal(client.socket.recovered, false)
    t.same([...back.rooms].sort(), ['feed', 'user:u1'])
    await emitTicks(node, 'feed', 3, 3)
    t.same(await ticks(t, client, 1), [3])
  })

  await test(`${name}: an expired or revoked token at recovery is refused, with nothing replayed; a valid one then recovers`, async (t) => {
    const setup = await makeSetup(t)
    const revoked = new Set<string>()
    const node = await startNode(t, setup, { auth: { trusted: (user) => !revoked.has(String(user.sub)) } })
    const { client } = await connectTo(t, node)
    await emitTicks(node, 'feed', 1, 1)
    t.same(await ticks(t, client, 1), [1])
    const id = client.socket.id
    await cut(client)
    await node.persisted(id)
    await emitTicks(node, 'feed', 2, 3)
    client.socket.auth = { token: node.app.jwt.sign({ sub: 'u1', exp: Math.floor(Date.now() / 1000) - 10 }) }
    t.equal((await reconnectRefused(client)).data?.code, 'TOKEN_EXPIRED')
    revoked.add('u1')
    client.socket.auth = { token: node.token('u1') }
    t.equal((await reconnectRefused(client)).data?.code, 'UNAUTHORIZED')
    t.same(pendingTicks(client), [], 'nothing replayed to a refused client')
    revoked.delete('u1')
    await reconnect(client)
    t.equal(client.socket.recovered, true, 'a refusal leaves the session in place')
    t.equal(client.socket.id, id)
    t.same(await ticks(t, client, 2), [2, 3])
  })

  await test(`${name}: another user's token does not take a session`, async (t) => {
    const setup = await makeSetup(t)
    const node = await startNode(t, setup)
    const { client } = await connectTo(t, node)
    const id = client.socket.id
    await cut(client)
    await node.persisted(id)
    client.socket.auth = { token: node.token('u2') }
    const back = await reconnect(client)
    t.equal(client.socket.recovered, false)
    t.same([...back.rooms].sort(), ['feed', 'user:u2'])
  })

  await test(`${name}: a client-initiated disconnect leaves no session, not even a checkpoint`, async (t) => {
    const setup = await makeSetup(t)
    const node = await startNode(t, setup, { recovery: { maxDisconnectionDuration: 1_000 } })
    const { client } = await connectTo(t, node)
    const pid = pidOf(client.socket)
    await node.saved(pid)
    if (setup.holds !== undefined) t.equal(await setup.holds(pid), true, 'checkpointed while connected')
    const id = client.socket.id
    client.socket.disconnect()
    await node.persisted(id)
    if (setup.holds !== undefined) await waitFor(async () => !(await (setup.holds as (pid: string) => Promise<boolean>)(pid)))
    await reconnect(client)
    t.equal(client.socket.recovered, false)
    t.not(client.socket.id, id)
  })

  await test(`${name}: a node that dies leaves its checkpoints behind; a client it delivered nothing to since recovers elsewhere`, async (t) => {
    const setup = await makeSetup(t)
    const first = await startNode(t, setup, { recovery: { maxDisconnectionDuration: 1_000 } })
    const second = await startNode(t, setup, { recovery: { maxDisconnectionDuration: 1_000 } })
    const { client } = await connectTo(t, first)
    t.same(await client.request('join', 'extra'), { ok: true })
    await emitTicks(first, 'feed', 1, 2)
    t.same(await ticks(t, client, 2), [1, 2])
    const pid = pidOf(client.socket)
    const id = client.socket.id
    // A checkpoint made after the join and the ticks: they are what the client saw last.
    await first.saved(pid, first.saves(pid) + 1)
    first.stopSaving()
    const dropped = onceEvent(client.socket, 'disconnect')
    await first.app.close()
    await dropped
    await emitTicks(second, 'feed', 3, 4)
    const back = await reconnect(client, second)
    t.equal(client.socket.recovered, true)
    t.equal(client.socket.id, id)
    t.same([...back.rooms].sort(), ['extra', 'feed', 'user:u1'])
    t.same(await ticks(t, client, 2), [3, 4])
  })

  await test(`${name}: a checkpoint older than what the client saw does not recover it (never a duplicate)`, async (t) => {
    const setup = await makeSetup(t)
    const first = await startNode(t, setup, { recovery: { maxDisconnectionDuration: 1_000 } })
    const second = await startNode(t, setup, { recovery: { maxDisconnectionDuration: 1_000 } })
    const { client } = await connectTo(t, first)
    const pid = pidOf(client.socket)
    await first.saved(pid)
    first.stopSaving()
    await emitTicks(first, 'feed', 1, 1)
    t.same(await ticks(t, client, 1), [1])
    const dropped = onceEvent(client.socket, 'disconnect')
    await first.app.close()
    await dropped
    await emitTicks(second, 'feed', 2, 2)
    const back = await reconnect(client, second)
    t.equal(client.socket.recovered, false)
    t.equal(back.positions?.feed.offset, 2)
    await emitTicks(second, 'feed', 3, 3)
    t.same(await ticks(t, client, 1), [3])
    t.same(pendingTicks(client), [])
  })

  await test(`${name}: a client whose transport died unnoticed takes over its open connection, with what that one was sent since`, async (t) => {
    const setup = await makeSetup(t)
    const node = await startNode(t, setup, { recovery: { maxDisconnectionDuration: 1_000 } })
    const proxy = await startTcpProxy(t, node.port)
    const { client } = await ioConnect(t, `http://127.0.0.1:${proxy.port}`, { token: node.token('u1'), transports: ['websocket'] })
    const id = client.socket.id
    await node.saved(pidOf(client.socket))
    // The stored checkpoint predates what the client sees next: only the open connection's own log can place its offset.
    node.stopSaving()
    await emitTicks(node, 'feed', 1, 1)
    t.same(await ticks(t, client, 1), [1])
    // The client's side closes; the server's stays open and silent, as behind a dead NAT entry.
    const [connection] = proxy.connections
    connection.client.unpipe(connection.upstream)
    connection.upstream.unpipe(connection.client)
    connection.upstream.resume()
    const disconnected = onceEvent(client.socket, 'disconnect')
    connection.client.destroy()
    await disconnected
    t.ok(ioServer(node.app).of('/').sockets.has(id as string), 'the server has not noticed')
    await emitTicks(node, 'feed', 2, 3)
    await reconnect(client)
    t.equal(client.socket.recovered, true)
    t.equal(client.socket.id, id)
    t.same(await ticks(t, client, 2), [2, 3], 'what went to the dead transport, from the open connection\'s own log')
    t.equal(ioServer(node.app).of('/').sockets.size, 1, 'the old connection is gone')
  })

  await test(`${name}: recovery over long-polling`, async (t) => {
    const setup = await makeSetup(t)
    const node = await startNode(t, setup)
    const { client } = await connectTo(t, node, 'u1', { transports: ['polling'] })
    await emitTicks(node, 'feed', 1, 2)
    t.same(await ticks(t, client, 2), [1, 2])
    const id = client.socket.id
    await cut(client)
    await node.persisted(id)
    await emitTicks(node, 'feed', 3, 5)
    await reconnect(client)
    t.equal(client.transport, 'polling')
    t.equal(client.socket.recovered, true)
    t.same(await ticks(t, client, 3), [3, 4, 5])
  })
}

void (async () => {
  await suite('memory bus', async () => memorySetup())
  await suite('redis bus', async (t) => redisSetup(await startRedis(t)))

  test('every event packet without an ack ends with a token; an app\'s trailing string is not taken for the offset', async (t) => {
    const node = await startNode(t, memorySetup(), { canJoin: () => false })
    let serverSocket: import('socket.io').Socket | undefined
    ioServer(node.app).of('/').on('connection', (socket) => { serverSocket = socket })
    const client = (await connectTo(t, node)).client
    // The welcome (taken by connectTo) had one; so do refusals, app code's emits and Socket.IO-only broadcasts.
    client.socket.emit('join', 'secret')
    const refusal = await client.nextArgs('error')
    t.equal(refusal.length, 2)
    t.match(refusal[1], TOKEN_PATTERN)
    serverSocket?.emit('note', 'hello', 'not-an-offset')
    const note = await client.nextArgs('note')
    t.same(note.slice(0, 2), ['hello', 'not-an-offset'])
    t.match(note[2], TOKEN_PATTERN)
    ioServer(node.app).to('feed').emit('pair', 1, 'two')
    const pair = await client.nextArgs('pair')
    t.same(pair.slice(0, 2), [1, 'two'])
    t.match(pair[2], TOKEN_PATTERN)
    const id = client.socket.id
    await cut(client)
    await node.persisted(id)
    await emitTicks(node, 'feed', 1, 1)
    await reconnect(client)
    t.equal(client.socket.recovered, true, 'the offset was the token after "not-an-offset"')
    t.same(await ticks(t, client, 1), [1])
  })

  test('a forged or unknown offset is not recovered', async (t) => {
    const node = await startNode(t, memorySetup())
    const { client } = await connectTo(t, node)
    const id = client.socket.id
    await cut(client)
    await node.persisted(id)
    await emitTicks(node, 'feed', 1, 1)
    ;(client.socket as unknown as { _lastOffset: string })._lastOffset = 'nope.zz'
    const back = await reconnect(client)
    t.equal(client.socket.recovered, false)
    t.same(back.resumed, undefined)
    t.same(pendingTicks(client), [])
  })

  test('without recovery there is no pid and no token', async (t) => {
    const node = await startServer(t, { autoJoin: () => ['feed'] })
    const { client } = await connectTo(t, node)
    t.equal(pidOf(client.socket), undefined)
    await node.app.realtime.to('feed').emit('tick', { n: 1 })
    t.same(await client.nextArgs('tick'), [{ n: 1 }])
  })
})()
