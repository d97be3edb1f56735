import Fastify from 'fastify'
import t from 'tap'
import realtime from '../lib/index'
import type { Client, EventPosition, LifecycleEvents } from '../lib/client'
import { SECRET, startServer } from './helpers/app'
import { newClient } from './helpers/realtime-client'
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy'

// The client against the plugin with `recovery` on: a client cut off while the server emits to its
// rooms comes back through a TCP proxy that holds its reconnect until the test lets it through.

const FAST_RECONNECT = { initialDelay: 5, maxDelay: 20 }

interface Tick { n: number, room: string | undefined, position: EventPosition | undefined }

/** Every `tick` a client receives, in order; `until(count)` waits for that many, bounded. */
function ticks (client: Client): { items: Tick[], until: (count: number) => Promise<Tick[]> } {
  return recorder((push) => {
    client.on('tick', (data: unknown, room: string | undefined, position: EventPosition | undefined) => { push({ n: (data as { n: number }).n, room, position }) })
  })
}

function lifecycle<E extends keyof LifecycleEvents> (client: Client, event: E): { items: Array<LifecycleEvents[E]>, until: (count: number) => Promise<Array<LifecycleEvents[E]>> } {
  return recorder((push) => { client.on(event, (payload: LifecycleEvents[E]) => { push(payload) }) })
}

function recorder<T> (subscribe: (push: (item: T) => void) => void): { items: T[], until: (count: number) => Promise<T[]> } {
  const items: T[] = []
  let waiters: Array<{ count: number, resolve: () => void }> = []
  subscribe((item) => {
    items.push(item)
    waiters = waiters.filter((waiter) => items.length < waiter.count || (waiter.resolve(), false))
  })
  return {
    items,
    until: async (count) => {
      if (items.length < count) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${items.length} of ${count} in time`)), 5_000)
          waiters.push({ count, resolve: () => { clearTimeout(timer); resolve() } })
        })
      }
      return items.slice(0, count)
    }
  }
}

/** Cuts the client's one connection through `proxy` and holds its reconnect; resolves once the client noticed. */
async function cut (client: Client, proxy: TcpProxy): Promise<() => void> {
  const release = proxy.holdNewConnections()
  const disconnected = lifecycle(client, 'disconnect')
  for (const connection of proxy.connections) proxy.drop(connection)
  await disconnected.until(1)
  return release
}

t.test('a client cut off gets every event it missed once, in order, resumed; a client that stayed is unaffected', async (t) => {
  const server = await startServer(t, { recovery: true })
  const proxy = await startTcpProxy(t, server.port)
  const client = newClient(t, { url: `ws://127.0.0.1:${proxy.port}/ws`, token: () => server.token('ada'), reconnect: FAST_RECONNECT })
  const bystander = newClient(t, { url: server.wsUrl, token: server.token('bob') })
  const received = ticks(client)
  const seenByBystander = ticks(bystander)
  const recovered = lifecycle(client, 'recovered')
  const reconnects = lifecycle(client, 'reconnect')
  const bystanderEvents = lifecycle(bystander, 'disconnect')
  const welcome = await client.connect()
  t.same(Object.keys(welcome.positions ?? {}), ['user:ada'], 'the welcome gives the position of the user\'s room')
  await bystander.connect()
  await client.join('order:1')
  await bystander.join('order:1')
  await server.app.realtime.to('order:1').emit('tick', { n: 1 })
  await received.until(1)

  const release = await cut(client, proxy)
  for (let n = 2; n <= 6; n++) await server.app.realtime.to('order:1').emit('tick', { n })
  await server.app.realtime.toUser('ada').emit('tick', { n: 100 })
  release()
  const [reconnect] = await reconnects.until(1)
  t.same(reconnect.recovered, { 'order:1': true, 'user:ada': true })
  t.same(reconnect.failed, [])
  t.same(reconnect.rejoined, ['order:1'])
  t.same((await recovered.until(2)).map(({ room, recovered, cause }) => ({ room, recovered, cause })).sort((a, b) => a.room.localeCompare(b.room)), [
    { room: 'order:1', recovered: true, cause: 'reconnect' },
    { room: 'user:ada', recovered: true, cause: 'reconnect' }
  ])
  await server.app.realtime.to('order:1').emit('tick', { n: 7 })
  const all = await received.until(8)
  t.same(all.filter(({ room }) => room === 'order:1').map(({ n }) => n), [1, 2, 3, 4, 5, 6, 7], 'every event of the room once, in order')
  t.same(all.filter(({ room }) => room === undefined).map(({ n }) => n), [100], 'the direct send, replayed from the user\'s room')
  const offsets = all.filter(({ room }) => room === 'order:1').map(({ position }) => position?.offset)
  t.same(offsets, [1, 2, 3, 4, 5, 6, 7], 'consecutive positions')
  t.equal(await server.app.realtime.roomSize('order:1'), 2)

  t.same((await seenByBystander.until(7)).map(({ n }) => n), [1, 2, 3, 4, 5, 6, 7])
  t.same(bystanderEvents.items, [], 'the other client never disconnected')
  t.equal(received.items.length, 8, 'nothing more arrived')
})

t.test('a client away longer than the history keeps gets resumed: false and no partial replay', async (t) => {
  const server = await startServer(t, { recovery: { historySize: 5, maxReplay: 5 } })
  const proxy = await startTcpProxy(t, server.port)
  const client = newClient(t, { url: `ws://127.0.0.1:${proxy.port}/ws`, token: () => server.token('ada'), reconnect: FAST_RECONNECT })
  const received = ticks(client)
  const recovered = lifecycle(client, 'recovered')
  await client.connect()
  await client.join('order:1')
  await server.app.realtime.to('order:1').emit('tick', { n: 1 })
  await received.until(1)

  const release = await cut(client, proxy)
  for (let n = 2; n <= 12; n++) await server.app.realtime.to('order:1').emit('tick', { n })
  const welcomed = lifecycle(client, 'welcome')
  release()
  const [welcome] = await welcomed.until(1)
  t.same(welcome.resumed, { 'order:1': false, 'user:ada': true })
  const orderReset = (await recovered.until(2)).find(({ room }) => room === 'order:1')
  t.match(orderReset, { room: 'order:1', recovered: false, cause: 'reconnect', position: { offset: 12 } }, 'reload the room: events after 12 follow')
  await server.app.realtime.to('order:1').emit('tick', { n: 13 })
  t.same((await received.until(2)).map(({ n }) => n), [1, 13], 'no event of the lost stretch')
})

t.test('after a restart that lost the history the rooms come back recovered: false, and the new stream\'s events arrive', async (t) => {
  const first = await startServer(t, { recovery: true })
  const client = newClient(t, { url: first.wsUrl, token: () => first.token('ada'), reconnect: FAST_RECONNECT })
  const received = ticks(client)
  const reconnects = lifecycle(client, 'reconnect')
  await client.connect()
  await client.join('order:1')
  for (let n = 1; n <= 3; n++) await first.app.realtime.to('order:1').emit('tick', { n })
  await received.until(3)
  await first.app.close()

  const second = Fastify()
  await second.register(realtime, { jwt: { secret: SECRET }, recovery: true })
  await second.listen({ host: '127.0.0.1', port: first.port })
  t.teardown(() => second.close())
  const [reconnect] = await reconnects.until(1)
  t.same(reconnect.recovered, { 'order:1': false, 'user:ada': true }, 'the new server has no stream to replay from; the user\'s room never had one, so nothing was lost')
  await second.realtime.to('order:1').emit('tick', { n: 1 })
  const [, , , restarted] = await received.until(4)
  t.equal(restarted.n, 1, 'offset 1 of the new stream is not taken for one already delivered')
  t.not(restarted.position?.epoch, received.items[0].position?.epoch)
})

t.test('with recovery off the client re-joins as ever and reports nothing recovered', async (t) => {
  const server = await startServer(t)
  const proxy = await startTcpProxy(t, server.port)
  const client = newClient(t, { url: `ws://127.0.0.1:${proxy.port}/ws`, token: () => server.token('ada'), reconnect: FAST_RECONNECT })
  const received = ticks(client)
  const recovered = lifecycle(client, 'recovered')
  const reconnects = lifecycle(client, 'reconnect')
  const welcome = await client.connect()
  t.same(Object.keys(welcome).sort(), ['connectionId', 'rooms', 'user'])
  await client.join('order:1')
  const release = await cut(client, proxy)
  release()
  const [reconnect] = await reconnects.until(1)
  t.same(reconnect, { attempts: reconnect.attempts, rejoined: ['order:1'], failed: [], recovered: {} })
  t.notOk(proxy.connections.at(-1)?.sent.includes('resume='), 'no resume parameter')
  await server.app.realtime.to('order:1').emit('tick', { n: 1 })
  t.same(await received.until(1), [{ n: 1, room: 'order:1', position: undefined }])
  t.same(recovered.items, [])
})
