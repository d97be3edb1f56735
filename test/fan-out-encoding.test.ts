import t from 'tap'
import { OutboundEvent } from '../lib/hub/outbound-event'
import { startServer } from './helpers/app'
import { connect } from './helpers/ws-client'

t.test('an outbound event is encoded once per transport, however many recipients', async (t) => {
  const message = new OutboundEvent('e', '{"n":1}', 'room')
  let calls = 0
  const encoder = (m: OutboundEvent): string => { calls++; return `${m.event}:${m.dataJson}` }
  const encodings = Array.from({ length: 1000 }, () => message.encodeOnce(encoder))
  t.ok(encodings.every((encoding) => encoding === encodings[0]))
  t.equal(calls, 1)
})

t.test('a fan-out of one emit to many clients stringifies the data once', async (t) => {
  const server = await startServer(t)
  const clients = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await connect(server.wsUrl, { token: server.token(i) })).client))
  let serialisations = 0
  const data = { toJSON: () => { serialisations++; return { ok: true } } }
  await server.app.realtime.emit('once', data)
  for (const client of clients) t.same(await client.next('event'), { type: 'event', event: 'once', data: { ok: true } })
  t.equal(serialisations, 1)
  for (const client of clients) client.close()
})
