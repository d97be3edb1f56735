import fc from 'fast-check'
import t from 'tap'
import { decodeClientFrame } from '../lib/protocol/codec'
import { startServer } from './helpers/app'
import { connect } from './helpers/ws-client'

const frameTypes = fc.constantFrom('join', 'leave', 'emit', 'ping', 'auth', 'shout', '__proto__', 'constructor')

/** JSON-ish objects shaped like frames, with every field sometimes wrong. */
const frameLike = fc.record({
  type: fc.oneof(frameTypes, fc.jsonValue()),
  room: fc.oneof(fc.string(), fc.jsonValue()),
  event: fc.oneof(fc.string(), fc.jsonValue()),
  id: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.jsonValue()),
  token: fc.oneof(fc.string(), fc.jsonValue()),
  data: fc.jsonValue()
}, { requiredKeys: [] })

t.test('the decoder turns any string into a typed result and never throws', async (t) => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.json(), frameLike.map((frame) => JSON.stringify(frame))), (text) => {
    const result = decodeClientFrame(text)
    if (result.ok) return ['join', 'leave', 'emit', 'ping', 'auth'].includes(result.frame.type)
    return typeof result.message === 'string' && result.message.length > 0
  }), { numRuns: 5_000 })
  t.pass('5,000 inputs decoded without a throw')
})

t.test('a live server fed random frames stays up, rejects nothing unhandled, and serves a bystander', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => { process.off('unhandledRejection', onUnhandled) })

  const server = await startServer(t, { messageRateLimit: false, maxBadFrames: 1_000_000 })
  server.app.realtime.on('echo', (data) => data)
  server.app.realtime.on('throws', () => { throw new Error('boom') })
  const bystander = await connect(server.wsUrl, { token: server.token('bystander') })
  await bystander.client.request({ type: 'join', room: 'calm' })
  const fuzzed = await connect(server.wsUrl, { token: server.token('fuzzer') })

  const samples = fc.sample(fc.oneof(
    fc.string(),
    fc.json(),
    frameLike.map((frame) => JSON.stringify(frame)),
    fc.record({ type: fc.constant('emit'), event: fc.constantFrom('echo', 'throws', 'missing'), data: fc.jsonValue(), id: fc.string({ maxLength: 10 }) }).map((frame) => JSON.stringify(frame))
  ), { numRuns: 500, seed: 42 })
  for (const text of samples) fuzzed.client.ws.send(text)
  // The fuzzed connection answers in order: a final ping's pong means every frame before it was handled.
  t.match(await fuzzed.client.request({ type: 'ping', id: 'last' }), { type: 'pong', id: 'last' })

  await server.app.realtime.to('calm').emit('still', 'calm')
  t.same(await bystander.client.next('event'), { type: 'event', event: 'still', room: 'calm', data: 'calm' })
  t.same(unhandled, [], 'no unhandled rejection')
  fuzzed.client.close()
  bystander.client.close()
})
