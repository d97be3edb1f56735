import { test } from 'tap'
import type { EmitEnvelope } from '../lib/bus/envelope'
import { MemoryHistory, MemorySessions } from '../lib/bus/memory-history'
import { RoomStream, type StreamSink } from '../lib/hub/room-stream'
import { historyCopies } from '../lib/recovery/history-copies'
import { resolveRecovery } from '../lib/recovery/recovery-options'
import { parseResumeRequest } from '../lib/recovery/resume-request'
import type { HistoryRead, StreamPosition } from '../lib/recovery/stream-position'
import { waitFor } from './helpers/wait-for'

function envelope (n: number): EmitEnvelope {
  return { type: 'emit', origin: 'node', event: 'tick', dataJson: JSON.stringify({ n }), rooms: ['r'], except: [], omitRoom: false }
}

/** A stream over an in-process history, recording what it delivers and every reset it announces. */
function streamOver (history: MemoryHistory, options: { failReads?: () => boolean } = {}): { stream: RoomStream, delivered: number[], resets: StreamPosition[], reads: number[] } {
  const delivered: number[] = []
  const resets: StreamPosition[] = []
  const reads: number[] = []
  const sink: StreamSink = {
    deliver: (_envelope, stamp) => { delivered.push(stamp.offset) },
    reset: (_room, position) => { resets.push(position) },
    read: async (room, after, limit): Promise<HistoryRead | undefined> => {
      reads.push(after)
      return options.failReads?.() === true ? undefined : history.read(room, after, limit)
    },
    fence: (room, position) => { history.read(room, 0, 0, position) }
  }
  return { stream: new RoomStream('r', sink, 10, Promise.resolve()), delivered, resets, reads }
}

const LIMITS = { size: 100, ttl: 60_000 }

test('a stream delivers in offset order, drops duplicates and repairs a gap from the history', async (t) => {
  const history = new MemoryHistory()
  const { stream, delivered, resets } = streamOver(history)
  await stream.positioned
  const stamps = [1, 2, 3, 4, 5].map((n) => history.append('r', envelope(n), LIMITS))
  stream.receive(envelope(1), stamps[0])
  stream.receive(envelope(1), stamps[0])
  stream.receive(envelope(4), stamps[3])
  stream.receive(envelope(2), stamps[1])
  t.same(delivered, [1, 2], 'held behind the gap')
  await waitFor(() => delivered.length === 5)
  t.same(delivered, [1, 2, 3, 4, 5], 'the gap filled from the history, with what was held')
  stream.receive(envelope(5), stamps[4])
  stream.receive(envelope(3), stamps[2])
  t.same(delivered, [1, 2, 3, 4, 5], 'late copies are duplicates')
  t.same(resets, [])
  t.same(stream.position(), { offset: 5, epoch: stamps[0].epoch })
})

test('events that arrive before the stream knows its position wait for it, and those at or below the top are dropped', async (t) => {
  const history = new MemoryHistory()
  const before = history.append('r', envelope(1), LIMITS)
  let subscribed = (): void => {}
  const delivered: number[] = []
  const sink: StreamSink = { deliver: (_e, stamp) => { delivered.push(stamp.offset) }, reset: () => {}, read: async (room, after, limit) => history.read(room, after, limit), fence: () => {} }
  const stream = new RoomStream('r', sink, 10, new Promise((resolve) => { subscribed = resolve }))
  const next = history.append('r', envelope(2), LIMITS)
  stream.receive(envelope(1), before)
  stream.receive(envelope(2), next)
  t.same(delivered, [])
  subscribed()
  await stream.positioned
  t.same(delivered, [], 'both are at or below the top read when the stream positioned itself')
  const third = history.append('r', envelope(3), LIMITS)
  stream.receive(envelope(3), third)
  t.same(delivered, [3])
})

test('a gap the history cannot fill resets the room past it, once', async (t) => {
  const history = new MemoryHistory()
  const { stream, delivered, resets } = streamOver(history)
  await stream.positioned
  const small = { size: 2, ttl: 60_000 }
  const stamps = Array.from({ length: 8 }, (_, i) => history.append('r', envelope(i + 1), small))
  const kept = history.read('r', 0, 10).entries.map((entry) => entry.offset)
  stream.receive(envelope(1), stamps[0])
  stream.receive(envelope(8), stamps[7])
  await waitFor(() => delivered.at(-1) === 8)
  t.same(resets, [{ offset: kept[0] - 1, epoch: stamps[0].epoch }], 'what the history still has follows the reset')
  t.same(delivered, [1, ...kept])
})

test('an unreachable history: the gap is retried, then skipped with a reset', async (t) => {
  const history = new MemoryHistory()
  let failing = false
  const { stream, delivered, resets, reads } = streamOver(history, { failReads: () => failing })
  await stream.positioned
  failing = true
  const stamps = [1, 2, 3].map((n) => history.append('r', envelope(n), LIMITS))
  stream.receive(envelope(3), stamps[2])
  await waitFor(() => resets.length === 1, 10_000)
  t.ok(reads.length >= 6, `retried (${reads.length - 1} reads)`)
  t.same(resets, [{ offset: 2, epoch: stamps[0].epoch }])
  t.same(delivered, [3])
})

test('a new epoch resets the room; a late message of the old one is dropped', async (t) => {
  const first = new MemoryHistory()
  const { stream, delivered, resets } = streamOver(first)
  await stream.positioned
  const old = first.append('r', envelope(1), LIMITS)
  stream.receive(envelope(1), old)
  const lost = first.append('r', envelope(2), LIMITS)
  const renewed = { room: 'r', offset: 1, epoch: 'another' }
  stream.receive(envelope(10), renewed)
  stream.receive(envelope(2), lost)
  t.same(delivered, [1, 1])
  t.same(resets, [{ offset: 0, epoch: 'another' }])
  t.same(stream.position(), { offset: 1, epoch: 'another' })
})

test('catching up after a reconnect delivers what the node missed', async (t) => {
  const history = new MemoryHistory()
  const { stream, delivered } = streamOver(history)
  await stream.positioned
  for (let n = 1; n <= 3; n++) history.append('r', envelope(n), LIMITS)
  stream.catchUp()
  await waitFor(() => delivered.length === 3)
  t.same(delivered, [1, 2, 3])
  t.same(stream.recentAfter(1)?.map((entry) => entry.offset), [2, 3])
  t.equal(stream.recentAfter(5), undefined, 'past the position')
})

test('the in-process history keeps `size` entries, forgets a room `ttl` after its last emit, and fences', async (t) => {
  const history = new MemoryHistory()
  for (let n = 1; n <= 30; n++) history.append('r', envelope(n), { size: 10, ttl: 1000 }, 0)
  const read = history.read('r', 0, 100, undefined, 10)
  t.ok(read.entries.length >= 10 && read.entries.length <= 12, `about size entries (${read.entries.length})`)
  t.equal(read.entries.at(-1)?.offset, 30)
  t.same(history.read('r', 25, 2, undefined, 10).entries.map((entry) => entry.offset), [26, 27])
  t.same(history.read('r', 0, 0, undefined, 1000), { epoch: undefined, top: 0, entries: [] }, 'expired')
  history.append('other', envelope(1), { size: 10, ttl: 1000 }, 2000)
  const epoch = history.read('other', 0, 0, undefined, 2000).epoch as string
  t.not(history.read('other', 0, 0, { offset: 5, epoch }, 2000).epoch, epoch, 'a client ahead of the top starts a new epoch')
  const sessions = new MemorySessions()
  sessions.save('a', 'A', 100, 0)
  sessions.save('b', 'B', 100, 50)
  t.equal(sessions.take('a', 99), 'A')
  t.equal(sessions.take('a', 99), undefined, 'taken once')
  t.equal(sessions.take('b', 200), undefined, 'expired')
  sessions.save('c', 'C', 100, 300)
  sessions.save('d', 'D', 100, 500)
  t.equal(sessions.take('c', 350), undefined, 'dropped as later sessions were saved')
  t.equal(sessions.take('d', 550), 'D')
})

test('an emit to several rooms: one copy per room with history, each leaving out the rooms before it', async (t) => {
  const { copies, rest } = historyCopies({ rooms: ['a', 'x', 'b'], except: ['banned'], omitRoom: false, exceptConnectionId: 'c1' }, (room) => room !== 'x')
  t.same(copies, [
    { room: 'a', target: { rooms: ['a'], except: ['banned'], omitRoom: true, exceptConnectionId: 'c1' } },
    { room: 'b', target: { rooms: ['b'], except: ['banned', 'a'], omitRoom: true, exceptConnectionId: 'c1' } }
  ])
  t.same(rest, { rooms: ['x'], except: ['banned', 'a', 'b'], omitRoom: true, exceptConnectionId: 'c1' })
  t.same(historyCopies({ rooms: ['a'], except: [], omitRoom: false }, () => true).copies[0].target.omitRoom, false, 'one room: frames name it')
})

test('recovery options are checked at register time', async (t) => {
  t.equal(resolveRecovery(undefined), false)
  t.equal(resolveRecovery(false), false)
  t.match(resolveRecovery(true), { maxDisconnectionDuration: 120_000, historySize: 1000, historyTtl: 600_000, maxReplay: 300 })
  t.match(resolveRecovery({ historySize: 50 }), { maxReplay: 50 })
  for (const bad of [1, 'yes', { historySize: 0 }, { historySize: 1e6 }, { maxReplay: 20, historySize: 10 }, { historyTtl: 1000, maxDisconnectionDuration: 2000 }, { rooms: 'all' }, { maxReplays: 3 }]) {
    t.throws(() => resolveRecovery(bad as never), { code: 'FST_REALTIME_INVALID_OPTION' }, JSON.stringify(bad))
  }
})

test('a resume request is a bounded object of joinable rooms and positions', async (t) => {
  t.same([...parseResumeRequest('{"a":{"offset":3,"epoch":"e"},"b":{"offset":0,"epoch":""}}')], [['a', { offset: 3, epoch: 'e' }], ['b', { offset: 0, epoch: '' }]])
  const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`r${i}`, { offset: 1, epoch: 'e' }]))
  for (const bad of [['x'], 'x', '[]', '{"a":1}', '{"a":{"offset":1.5,"epoch":"e"}}', '{"$c:1":{"offset":1,"epoch":"e"}}', JSON.stringify(many), `{"a":{"offset":1,"epoch":"${'e'.repeat(65)}"}}`, 'x'.repeat(40_000)]) {
    t.throws(() => parseResumeRequest(bad), { code: 'BAD_REQUEST' })
  }
})

test('a stream positioned before the room had one takes the first epoch it reads quietly', async (t) => {
  const history = new MemoryHistory()
  const { stream, delivered, resets } = streamOver(history)
  await stream.positioned
  for (let n = 1; n <= 3; n++) history.append('r', envelope(n), LIMITS)
  stream.catchUp()
  await waitFor(() => delivered.length === 3)
  t.same(resets, [])
})

test('a stream replaced under the node (another epoch read back) resets, then reads the new one from its start', async (t) => {
  let history = new MemoryHistory()
  const delivered: string[] = []
  const resets: StreamPosition[] = []
  const sink: StreamSink = {
    deliver: (_e, stamp) => { delivered.push(`${stamp.epoch}:${stamp.offset}`) },
    reset: (_room, position) => { resets.push(position) },
    read: async (room, after, limit) => history.read(room, after, limit),
    fence: () => {}
  }
  const stream = new RoomStream('r', sink, 10, Promise.resolve())
  await stream.positioned
  const old = history.append('r', envelope(1), LIMITS)
  stream.receive(envelope(1), old)
  history = new MemoryHistory()
  const renewed = [1, 2].map((n) => history.append('r', envelope(n), LIMITS))
  stream.catchUp()
  await waitFor(() => delivered.length === 3)
  t.same(delivered, [`${old.epoch}:1`, `${renewed[0].epoch}:1`, `${renewed[0].epoch}:2`])
  t.same(resets, [{ offset: 0, epoch: renewed[0].epoch }])
})

test('a read that comes back after the stream moved to a new epoch is dropped', async (t) => {
  const history = new MemoryHistory()
  let release = (): void => {}
  let slow = false
  const delivered: number[] = []
  const sink: StreamSink = {
    deliver: (_e, stamp) => { delivered.push(stamp.offset) },
    reset: () => {},
    read: async (room, after, limit) => {
      if (slow) await new Promise<void>((resolve) => { release = resolve })
      return history.read(room, after, limit)
    },
    fence: () => {}
  }
  const stream = new RoomStream('r', sink, 10, Promise.resolve())
  await stream.positioned
  const stamps = [1, 2, 3].map((n) => history.append('r', envelope(n), LIMITS))
  stream.receive(envelope(1), stamps[0])
  slow = true
  stream.catchUp()
  stream.receive(envelope(7), { room: 'r', offset: 7, epoch: 'elsewhere' })
  stream.receive(envelope(9), { room: 'r', offset: 9, epoch: 'elsewhere' })
  slow = false
  release()
  await waitFor(() => delivered.length >= 3)
  t.same(delivered.slice(0, 2), [1, 7], 'the old epoch\'s read delivered nothing')
})

test('a gap longer than one read is repaired in several', async (t) => {
  const history = new MemoryHistory()
  const { stream, delivered, resets, reads } = streamOver(history)
  await stream.positioned
  const big = { size: 5000, ttl: 60_000 }
  const stamps = Array.from({ length: 2500 }, (_, i) => history.append('r', envelope(i + 1), big))
  stream.receive(envelope(2500), stamps[2499])
  await waitFor(() => delivered.length === 2500)
  t.same(delivered, Array.from({ length: 2500 }, (_, i) => i + 1))
  t.same(resets, [])
  t.ok(reads.length >= 4, `three reads and the positioning (${reads.length})`)
})

test('reached() resolves once the stream delivered an offset, or after its bound', async (t) => {
  const history = new MemoryHistory()
  const { stream } = streamOver(history)
  await stream.positioned
  const waiting = stream.reached(1, 5_000)
  history.append('r', envelope(1), LIMITS)
  stream.receive(envelope(1), { room: 'r', offset: 1, epoch: history.read('r', 0, 0).epoch as string })
  await waiting
  t.pass('reached')
  const started = Date.now()
  await stream.reached(10, 50)
  t.ok(Date.now() - started >= 40, 'bounded')
  const pending = stream.reached(20, 60_000)
  stream.close()
  await pending
  t.pass('closing releases the waiters')
  stream.receive(envelope(2), { room: 'r', offset: 2, epoch: 'x' })
})

test('an event past the history\'s top (its gap cannot be read back) is delivered after a reset', async (t) => {
  const history = new MemoryHistory()
  const { stream, delivered, resets } = streamOver(history)
  await stream.positioned
  const stamps = [1, 2, 3].map((n) => history.append('r', envelope(n), LIMITS))
  stream.receive(envelope(1), stamps[0])
  stream.receive(envelope(6), { room: 'r', offset: 6, epoch: stamps[0].epoch })
  await waitFor(() => delivered.at(-1) === 6)
  t.same(delivered, [1, 2, 3, 6])
  t.same(resets, [{ offset: 5, epoch: stamps[0].epoch }])
})
