import t from 'tap'
import { InboundQueue, type Handling, type InboundBound, type InboundOwner } from '../lib/hub/inbound-queue'

interface Request {
  readonly name: string
  readonly size: number
  /** Resolves the request's handling; undefined for a request that is done at once. */
  readonly holds?: boolean
  readonly async?: boolean
}

/** An owner that records what ran and what was refused, and lets the test finish async requests. */
class Recorder implements InboundOwner<Request> {
  readonly inboundLimit: number
  isOpen = true
  inboundHeld = false
  inboundWaiting: Request[] | undefined
  inboundWeight = 0
  readonly ran: string[] = []
  readonly refused: string[] = []
  readonly finish = new Map<string, () => void>()

  constructor (limit: number) {
    this.inboundLimit = limit
  }

  handle (request: Request): Handling | undefined {
    this.ran.push(request.name)
    if (request.holds !== true && request.async !== true) return undefined
    const done = new Promise<void>((resolve) => { this.finish.set(request.name, resolve) })
    return { done, holdsQueue: request.holds === true }
  }

  refuseExcess (request: Request): void {
    this.refused.push(request.name)
  }
}

function bound (countsUntil: 'started' | 'done'): InboundBound<Request> {
  return { sizeOf: (request) => request.size, countsUntil }
}

async function settle (): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
}

function idleState (owner: Recorder): unknown {
  return { waiting: owner.inboundWaiting, weight: owner.inboundWeight, held: owner.inboundHeld }
}

t.test('requests run at once and in arrival order while nothing holds the queue', async (t) => {
  const owner = new Recorder(10)
  const queue = new InboundQueue(bound('started'))
  queue.push(owner, { name: 'a', size: 1 })
  queue.push(owner, { name: 'b', size: 1 })
  t.same(owner.ran, ['a', 'b'])
})

t.test('a request that holds the queue makes the later ones wait, which then run in order', async (t) => {
  const owner = new Recorder(10)
  const queue = new InboundQueue(bound('started'))
  queue.push(owner, { name: 'join', size: 1, holds: true })
  queue.push(owner, { name: 'b', size: 1 })
  queue.push(owner, { name: 'c', size: 1 })
  t.same(owner.ran, ['join'])
  owner.finish.get('join')?.()
  await settle()
  t.same(owner.ran, ['join', 'b', 'c'])
})

t.test('a held request among the waiting ones stops the drain again', async (t) => {
  const owner = new Recorder(10)
  const queue = new InboundQueue(bound('started'))
  queue.hold(owner)
  queue.push(owner, { name: 'a', size: 1 })
  queue.push(owner, { name: 'auth', size: 1, holds: true })
  queue.push(owner, { name: 'c', size: 1 })
  t.same(owner.ran, [], 'a queue made held runs nothing until released')
  queue.release(owner)
  t.same(owner.ran, ['a', 'auth'])
  owner.finish.get('auth')?.()
  await settle()
  t.same(owner.ran, ['a', 'auth', 'c'])
})

t.test('counted until started, the bound refuses what would wait beyond it; a running request no longer counts', async (t) => {
  const owner = new Recorder(5)
  const queue = new InboundQueue(bound('started'))
  queue.push(owner, { name: 'slow', size: 3, async: true })
  queue.push(owner, { name: 'join', size: 3, holds: true })
  queue.push(owner, { name: 'w1', size: 3 })
  queue.push(owner, { name: 'w2', size: 2 })
  queue.push(owner, { name: 'w3', size: 1 })
  t.same(owner.ran, ['slow', 'join'])
  t.same(owner.refused, ['w3'], 'the request past the bound is refused, the ones within it kept')
})

t.test('counted until done, requests in flight count too, and free their room once done', async (t) => {
  const owner = new Recorder(2)
  const queue = new InboundQueue(bound('done'))
  queue.push(owner, { name: 'a', size: 1, async: true })
  queue.push(owner, { name: 'b', size: 1, async: true })
  queue.push(owner, { name: 'c', size: 1 })
  t.same(owner.refused, ['c'])
  owner.finish.get('a')?.()
  await settle()
  queue.push(owner, { name: 'd', size: 1 })
  t.same(owner.ran, ['a', 'b', 'd'])
  t.same(owner.refused, ['c'])
})

t.test('nothing runs once the connection is closing, and what waited is let go', async (t) => {
  const owner = new Recorder(10)
  const queue = new InboundQueue(bound('started'))
  queue.push(owner, { name: 'join', size: 1, holds: true })
  queue.push(owner, { name: 'b', size: 1 })
  owner.isOpen = false
  queue.push(owner, { name: 'c', size: 1 })
  owner.finish.get('join')?.()
  await settle()
  t.same(owner.ran, ['join'])
  t.same(idleState(owner), { waiting: undefined, weight: 0, held: false })
})

t.test('an idle connection keeps no array and no promise', async (t) => {
  const owner = new Recorder(10)
  const queue = new InboundQueue(bound('done'))
  queue.push(owner, { name: 'join', size: 1, holds: true })
  queue.push(owner, { name: 'b', size: 1 })
  owner.finish.get('join')?.()
  await settle()
  t.same(owner.ran, ['join', 'b'])
  t.same(idleState(owner), { waiting: undefined, weight: 0, held: false })
  t.same(Object.keys(queue), ['bound'], 'the queue keeps nothing per connection: one serves them all')
})
