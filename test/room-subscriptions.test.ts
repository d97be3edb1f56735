import t from 'tap'
import { MemoryBus } from '../lib/bus/memory-bus'
import { RoomSubscriptions } from '../lib/hub/room-subscriptions'
import type { Room } from '../lib/types'

/** A memory bus whose subscriptions take effect only when the test says so, as Redis confirms them. */
class ConfirmedBus extends MemoryBus {
  readonly unconfirmed = new Map<Room, () => void>()

  override subscribe (room: Room): Promise<void> {
    void super.subscribe(room)
    return new Promise<void>((resolve) => this.unconfirmed.set(room, resolve))
  }

  confirm (room: Room): void {
    this.unconfirmed.get(room)?.()
    this.unconfirmed.delete(room)
  }
}

/** RoomSubscriptions with the members a hub would have, kept by hand. */
function subscriptionsOver (bus: MemoryBus, waitMs = 10_000): { subscriptions: RoomSubscriptions, members: Set<Room> } {
  const members = new Set<Room>()
  return { subscriptions: new RoomSubscriptions(bus, waitMs, (room) => members.has(room)), members }
}

t.test('a room is subscribed from its first member to its last', async (t) => {
  const bus = new MemoryBus()
  const { subscriptions, members } = subscriptionsOver(bus)
  members.add('a')
  subscriptions.hold('a')
  t.same([...bus.subscribedRooms()], ['a'])
  members.delete('a')
  subscriptions.release('a')
  t.same([...bus.subscribedRooms()], [])
})

t.test('a reservation subscribes ahead of the join and keeps the room subscribed until it ends', async (t) => {
  const bus = new MemoryBus()
  const { subscriptions, members } = subscriptionsOver(bus)
  const endFirst = subscriptions.reserve(['a', 'b'])
  const endSecond = subscriptions.reserve(['a'])
  t.same([...bus.subscribedRooms()].sort(), ['a', 'b'])

  // The first connection joins `a` and leaves it before its reservation ends: still reserved.
  members.add('a')
  subscriptions.hold('a')
  members.delete('a')
  subscriptions.release('a')
  t.ok(bus.subscribedRooms().has('a'), 'still reserved')

  endFirst()
  t.same([...bus.subscribedRooms()], ['a'], 'b had no member: unsubscribed; a is still reserved by the second')
  endSecond()
  t.same([...bus.subscribedRooms()], [], 'nothing reserved and no member left')
})

t.test('a reservation that ends with members in the room leaves it subscribed', async (t) => {
  const bus = new MemoryBus()
  const { subscriptions, members } = subscriptionsOver(bus)
  const end = subscriptions.reserve(['a'])
  members.add('a')
  subscriptions.hold('a')
  end()
  t.ok(bus.subscribedRooms().has('a'))
})

t.test('joins wait for a subscription until the bus confirms it, then no more', async (t) => {
  const bus = new ConfirmedBus()
  const { subscriptions, members } = subscriptionsOver(bus)
  members.add('a')
  subscriptions.hold('a')
  let settled = false
  const waiting = subscriptions.inEffect(['a']).then(() => { settled = true })
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(settled, 'unconfirmed: still waiting')
  bus.confirm('a')
  await waiting
  t.ok(settled)
  // Confirmed: later joins do not wait, and the room stays subscribed.
  let settledAgain = false
  const again = subscriptions.inEffect(['a']).then(() => { settledAgain = true })
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(settledAgain, 'a confirmed subscription is not waited for')
  await again
  t.ok(bus.subscribedRooms().has('a'))
})

t.test('waiting for an unconfirmed subscription is bounded', async (t) => {
  const bus = new ConfirmedBus()
  const { subscriptions, members } = subscriptionsOver(bus, 20)
  members.add('a')
  subscriptions.hold('a')
  await subscriptions.inEffect(['a'])
  t.ok(bus.unconfirmed.has('a'), 'resolved while the bus had still not confirmed')
})

t.test('a confirmation that arrives after the room was left and subscribed again does not end the new wait', async (t) => {
  const bus = new ConfirmedBus()
  const { subscriptions, members } = subscriptionsOver(bus)
  members.add('a')
  subscriptions.hold('a')
  const firstConfirmation = bus.unconfirmed.get('a')
  members.delete('a')
  subscriptions.release('a')
  members.add('a')
  subscriptions.hold('a')
  firstConfirmation?.()
  await new Promise((resolve) => setImmediate(resolve))
  let settled = false
  const waiting = subscriptions.inEffect(['a']).then(() => { settled = true })
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(settled, 'the second subscription is still unconfirmed')
  bus.confirm('a')
  await waiting
  t.ok(settled)
})
