import t from 'tap'
import { SoleSubscriberRooms, type ProbeClock } from '../lib/bus/sole-subscriber'
import { ManualTimers } from './helpers/manual-timers'

const WINDOW_MS = 500
const LIVENESS_MS = 100

/** SoleSubscriberRooms on a hand-moved clock, with probes the test answers. */
function manualClock (timers: ManualTimers): ProbeClock {
  return { now: () => timers.now, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout }
}

function soleRooms (): { rooms: SoleSubscriberRooms, clock: ManualTimers, probes: Array<{ pass: () => void, fail: () => void }> } {
  const clock = new ManualTimers()
  clock.now = 1_000
  const probes: Array<{ pass: () => void, fail: () => void }> = []
  const probe = async (): Promise<void> => await new Promise<void>((resolve, reject) => probes.push({ pass: resolve, fail: () => reject(new Error('connection lost')) }))
  const rooms = new SoleSubscriberRooms({ windowMs: WINDOW_MS, livenessMs: LIVENESS_MS, probe, clock: manualClock(clock) })
  return { rooms, clock, probes }
}

/** Lets the probe's settlement run. */
async function settled (): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
}

t.test('a reply counting one subscriber marks the room only once the probe comes back', async (t) => {
  const { rooms, probes } = soleRooms()
  rooms.settle(rooms.ticket('r'), 1)
  t.equal(rooms.isSole('r'), false, 'not before the subscriber connection proved alive')
  t.equal(probes.length, 1)
  probes[0].pass()
  await settled()
  t.equal(rooms.isSole('r'), true)
})

t.test('a reply counting no subscriber, several, or none at all (not sent) marks nothing', async (t) => {
  const { rooms, probes } = soleRooms()
  for (const receivers of [0, 2, 5, undefined]) rooms.settle(rooms.ticket('r'), receivers)
  t.equal(probes.length, 0, 'nothing to probe')
  t.equal(rooms.isSole('r'), false)
})

t.test('a failed probe marks nothing', async (t) => {
  const { rooms, probes } = soleRooms()
  rooms.settle(rooms.ticket('r'), 1)
  probes[0].fail()
  await settled()
  t.equal(rooms.isSole('r'), false)
})

t.test('a mark lasts the window from the send time of the publish that showed it', async (t) => {
  const { rooms, clock, probes } = soleRooms()
  const ticket = rooms.ticket('r')
  clock.now += 10
  rooms.settle(ticket, 1)
  probes[0].pass()
  await settled()
  // Keep the connection proven alive meanwhile, as the repeating probes do.
  for (let step = 0; step < 6; step++) {
    clock.now += 80
    rooms.settle(rooms.ticket('other'), 1)
    probes[probes.length - 1].pass()
    await settled()
  }
  clock.now = 1_000 + WINDOW_MS - 1
  t.equal(rooms.isSole('r'), true)
  clock.now += 1
  t.equal(rooms.isSole('r'), false, 'lapsed: the next envelope is published again')
})

t.test('marks hold only while the subscriber connection keeps proving alive', async (t) => {
  const { rooms, clock, probes } = soleRooms()
  rooms.settle(rooms.ticket('r'), 1)
  probes[0].pass()
  await settled()
  clock.now += LIVENESS_MS - 1
  t.equal(rooms.isSole('r'), true)
  clock.now += 1
  t.equal(rooms.isSole('r'), false, 'no probe came back for livenessMs: the connection may be gone')
  rooms.settle(rooms.ticket('other'), 1)
  probes[1].pass()
  await settled()
  t.equal(rooms.isSole('r'), true, 'a probe sent later came back: the same connection, still alive')
})

t.test('probes repeat every half of livenessMs while there are marks, and stop once they lapse', async (t) => {
  const { rooms, clock, probes } = soleRooms()
  rooms.settle(rooms.ticket('r'), 1)
  probes[0].pass()
  await settled()
  t.same(clock.pendingDelays(), [LIVENESS_MS / 2], 'the next probe is scheduled')
  for (let i = 1; i <= 3; i++) {
    clock.advance(LIVENESS_MS / 2)
    t.equal(probes.length, i + 1)
    probes[i].pass()
    await settled()
  }
  t.equal(rooms.isSole('r'), true, 'kept alive by the repeating probes')
  clock.advance(WINDOW_MS)
  probes[probes.length - 1].pass()
  await settled()
  t.same(clock.pendingDelays(), [], 'no probe once the only mark lapsed')
})

t.test('another node subscribing voids the room\'s mark and every reply and probe still in flight', async (t) => {
  const { rooms, probes } = soleRooms()
  rooms.settle(rooms.ticket('r'), 1)
  probes[0].pass()
  await settled()
  const inFlight = rooms.ticket('r')
  const probed = rooms.ticket('r')
  rooms.settle(probed, 1)
  rooms.forget('r')
  t.equal(rooms.isSole('r'), false)
  rooms.settle(inFlight, 1)
  probes[1].pass()
  await settled()
  t.equal(rooms.isSole('r'), false, 'a reply or probe from before the announcement marks nothing')
  rooms.settle(rooms.ticket('r'), 1)
  probes[2].pass()
  await settled()
  t.equal(rooms.isSole('r'), true, 'a publish sent after it counts again')
})

t.test('forgetting a room with nothing in flight leaves other rooms\' replies valid', async (t) => {
  const { rooms, probes } = soleRooms()
  const other = rooms.ticket('other')
  rooms.forget('r')
  rooms.settle(other, 1)
  probes[0].pass()
  await settled()
  t.equal(rooms.isSole('other'), true)
})

t.test('a dropped connection voids every mark and everything in flight', async (t) => {
  const { rooms, probes } = soleRooms()
  rooms.settle(rooms.ticket('a'), 1)
  probes[0].pass()
  await settled()
  const inFlight = rooms.ticket('b')
  rooms.settle(rooms.ticket('c'), 1)
  rooms.forgetAll()
  rooms.settle(inFlight, 1)
  probes[1].pass()
  await settled()
  t.same(['a', 'b', 'c'].map((room) => rooms.isSole(room)), [false, false, false])
})

t.test('one probe at a time: replies arriving meanwhile wait for the next one', async (t) => {
  const { rooms, probes } = soleRooms()
  rooms.settle(rooms.ticket('a'), 1)
  rooms.settle(rooms.ticket('b'), 1)
  t.equal(probes.length, 1)
  probes[0].pass()
  await settled()
  t.equal(rooms.isSole('a'), true)
  t.equal(rooms.isSole('b'), false, 'its reply came after the probe was sent')
  t.equal(probes.length, 2)
  probes[1].pass()
  await settled()
  t.equal(rooms.isSole('b'), true)
})

t.test('replies waiting on a probe that never comes back are bounded', async (t) => {
  const { rooms, probes } = soleRooms()
  for (let i = 0; i < 5_000; i++) rooms.settle(rooms.ticket(`r${i}`), 1)
  t.equal(probes.length, 1, 'one probe in flight, however many replies')
  const waiting = (rooms as unknown as { awaitingProbe: unknown[] }).awaitingProbe
  t.ok(waiting.length <= 1_024, `${waiting.length} replies kept`)
  rooms.forgetAll()
  probes[0].pass()
  await settled()
  t.equal(rooms.isSole('r0'), false, 'the connection dropped meanwhile: nothing marked')
})

t.test('a dropped connection gives up on a probe that never settles: the next reply starts a new one', async (t) => {
  const { rooms, probes } = soleRooms()
  rooms.settle(rooms.ticket('r'), 1)
  rooms.forgetAll()
  rooms.settle(rooms.ticket('r'), 1)
  t.equal(probes.length, 2, 'a new probe, though the first never settled')
  probes[1].pass()
  await settled()
  t.equal(rooms.isSole('r'), true)
  probes[0].fail()
  await settled()
  t.equal(rooms.isSole('r'), true, 'the abandoned probe settling late changes nothing')
})
