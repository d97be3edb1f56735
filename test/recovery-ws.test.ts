import { test, type Test } from 'tap'
import type { ServerFrame } from '../lib/index'
import { memoryCluster, redisCluster, startNodes, type ClusterKind } from './helpers/nodes'
import { startRedis } from './helpers/redis-server'
import { connect, refused, type TestClient } from './helpers/ws-client'

type EventFrame = Extract<ServerFrame, { type: 'event' }>
type Position = { offset: number, epoch: string }

const RECOVERY = { recovery: true, autoJoin: () => ['feed'] } as const

/** The next `count` events of a client, in the order they came. */
async function events (client: TestClient, count: number): Promise<EventFrame[]> {
  const received: EventFrame[] = []
  for (let i = 0; i < count; i++) received.push(await client.next('event'))
  return received
}

function resumeUrl (url: string, positions: Record<string, Position>): string {
  return `${url}?resume=${encodeURIComponent(JSON.stringify(positions))}`
}

function ns (frames: EventFrame[]): number[] {
  return frames.map((frame) => (frame.data as { n: number }).n)
}

async function suite (name: string, kind: (t: Test) => Promise<ClusterKind>): Promise<void> {
  await test(`${name}: events of rooms with history carry consecutive positions, the welcome the room's`, async (t) => {
    const [node] = await startNodes(t, await kind(t), 1, RECOVERY)
    const { client, welcome } = await connect(node.wsUrl, { token: node.token('u1') })
    t.teardown(() => client.close())
    const start = welcome.positions?.feed as Position
    t.equal(start.offset, 0)
    for (let n = 1; n <= 3; n++) t.equal(await node.app.realtime.to('feed').emit('tick', { n }), true)
    const got = await events(client, 3)
    t.same(got.map((frame) => frame.position?.offset), [1, 2, 3])
    t.equal(new Set(got.map((frame) => frame.position?.epoch)).size, 1)
    t.same(got.map((frame) => frame.position?.room), ['feed', 'feed', 'feed'])
    t.same(got.map((frame) => frame.room), ['feed', 'feed', 'feed'])
  })

  await test(`${name}: a client that comes back gets what it missed, once and in order, then live events`, async (t) => {
    const [node, other] = await startNodes(t, await kind(t), 2, RECOVERY)
    const first = await connect(node.wsUrl, { token: node.token('u1') })
    const bystander = await connect(other.wsUrl, { token: node.token('u2') })
    t.teardown(() => bystander.client.close())
    await node.app.realtime.to('feed').emit('tick', { n: 1 })
    const [seen] = await events(first.client, 1)
    first.client.ws.terminate()
    await first.client.closed
    for (let n = 2; n <= 6; n++) await (n % 2 === 0 ? node : other).app.realtime.to('feed').emit('tick', { n })
    const back = await connect(resumeUrl(other.wsUrl, { feed: { offset: seen.position?.offset ?? -1, epoch: seen.position?.epoch ?? '' } }), { token: node.token('u1') })
    t.teardown(() => back.client.close())
    t.same(back.welcome.resumed, { feed: true })
    t.same(back.welcome.positions?.feed, seen.position === undefined ? undefined : { offset: seen.position.offset, epoch: seen.position.epoch })
    await node.app.realtime.to('feed').emit('tick', { n: 7 })
    t.same(ns(await events(back.client, 6)), [2, 3, 4, 5, 6, 7])
    t.same(ns(await events(bystander.client, 7)), [1, 2, 3, 4, 5, 6, 7])
    t.same(back.client.pending(), [])
  })

  await test(`${name}: a client away longer than the history keeps gets resumed: false and no partial replay`, async (t) => {
    const [node] = await startNodes(t, await kind(t), 1, { ...RECOVERY, recovery: { historySize: 5, maxReplay: 5 } })
    const { client, welcome } = await connect(node.wsUrl, { token: node.token('u1') })
    client.ws.terminate()
    await client.closed
    for (let n = 1; n <= 12; n++) await node.app.realtime.to('feed').emit('tick', { n })
    const back = await connect(resumeUrl(node.wsUrl, { feed: welcome.positions?.feed as Position }), { token: node.token('u1') })
    t.teardown(() => back.client.close())
    t.same(back.welcome.resumed, { feed: false })
    t.equal(back.welcome.positions?.feed.offset, 12)
    await node.app.realtime.to('feed').emit('tick', { n: 13 })
    t.same(ns(await events(back.client, 1)), [13])
  })

  await test(`${name}: a resume names rooms the client was in; each is joined only as a join would be`, async (t) => {
    const [node] = await startNodes(t, await kind(t), 1, { ...RECOVERY, canJoin: (_user, room) => room !== 'secret' })
    const { client } = await connect(node.wsUrl, { token: node.token('u1') })
    const joined = await client.request({ type: 'join', room: 'extra' }) as Extract<ServerFrame, { type: 'ack' }>
    const position = (joined.data as { position: Position }).position
    t.equal(position.offset, 0)
    client.ws.terminate()
    await client.closed
    await node.app.realtime.to('extra').emit('tick', { n: 1 })
    await node.app.realtime.to('secret').emit('tick', { n: 0 })
    const back = await connect(resumeUrl(node.wsUrl, { extra: position, secret: { offset: 0, epoch: '' }, 'user:u2': { offset: 0, epoch: '' } }), { token: node.token('u1') })
    t.teardown(() => back.client.close())
    t.same(back.welcome.resumed, { extra: true, secret: false, 'user:u2': false })
    t.same([...back.welcome.rooms].sort(), ['extra', 'feed', 'user:u1'])
    t.same(ns(await events(back.client, 1)), [1])
  })

  await test(`${name}: an emit to several rooms reaches a member of two of them once, live and on replay`, async (t) => {
    const [node] = await startNodes(t, await kind(t), 1, { recovery: true, autoJoin: () => ['a', 'b'] })
    const { client, welcome } = await connect(node.wsUrl, { token: node.token('u1') })
    await node.app.realtime.to(['a', 'b']).emit('tick', { n: 1 })
    const [live] = await events(client, 1)
    t.equal(live.room, undefined)
    t.equal(live.position?.room, 'a')
    client.ws.terminate()
    await client.closed
    await node.app.realtime.to(['b', 'a']).emit('tick', { n: 2 })
    await node.app.realtime.to('b').emit('tick', { n: 3 })
    const positions = { a: live.position as Position, b: welcome.positions?.b as Position }
    const back = await connect(resumeUrl(node.wsUrl, positions), { token: node.token('u1') })
    t.teardown(() => back.client.close())
    t.same(back.welcome.resumed, { a: true, b: true })
    await node.app.realtime.to('a').emit('tick', { n: 4 })
    const got = ns(await events(back.client, 3))
    t.same(got.sort(), [2, 3, 4])
    t.same(back.client.pending(), [])
  })
}

void (async () => {
  await suite('memory bus', async () => memoryCluster())
  await suite('redis bus', async (t) => redisCluster(await startRedis(t)))

  test('a malformed resume is refused before the upgrade', async (t) => {
    const [node] = await startNodes(t, memoryCluster(), 1, RECOVERY)
    for (const resume of ['nope', '[]', JSON.stringify({ feed: { offset: -1, epoch: 'x' } }), JSON.stringify({ $c: { offset: 1, epoch: 'x' } })]) {
      const refusal = await refused(`${node.wsUrl}?resume=${encodeURIComponent(resume)}`, { token: node.token('u1') })
      t.equal(refusal.statusCode, 400)
      t.equal((await refusal.body).code, 'BAD_REQUEST')
    }
    const twice = await refused(`${node.wsUrl}?resume=%7B%7D&resume=%7B%7D`, { token: node.token('u1') })
    t.equal(twice.statusCode, 400)
  })
})()
