import t from 'tap'
import { decodeEnvelope, encodeEnvelope } from '../lib/bus/envelope-codec'
import type { BusMessage } from '../lib/bus/envelope'

const envelopes: BusMessage[] = [
  { type: 'emit', origin: 'n1', event: 'order:status_updated', dataJson: '{"status":"shipped"}', rooms: ['order:1'], except: [], omitRoom: false },
  { type: 'emit', origin: 'n1', event: 'typing', dataJson: 'null', rooms: ['chat'], except: ['muted'], exceptConnectionId: 'c1', omitRoom: false },
  { type: 'emit', origin: 'n1', event: 'tick', dataJson: '1', rooms: ['ticker'], except: [], omitRoom: false, volatile: true },
  { type: 'join', origin: 'n1', rooms: ['team'], except: [], targetRooms: ['standup', 'news'] },
  { type: 'leave', origin: 'n1', rooms: [], except: ['vip'], targetRooms: ['lobby'] },
  { type: 'disconnect', origin: 'n1', rooms: ['user:7'], except: [] },
  { type: 'request', origin: 'n1', requestId: 'r1', query: { kind: 'roomSize', room: 'news' } },
  { type: 'response', origin: 'n2', requestId: 'r1', answer: 3 },
  { type: 'response', origin: 'n2', requestId: 'r2', answer: ['1', '2'] },
  { type: 'subscribed', origin: 'n1', room: 'order:1', announcementId: 'a1' },
  { type: 'subscribed-ack', origin: 'n2', announcementId: 'a1' }
]

for (const envelope of envelopes) {
  t.test(`a ${envelope.type} envelope survives encoding and decoding unchanged`, async (t) => {
    t.same(decodeEnvelope(encodeEnvelope(envelope)), { ok: true, envelope })
  })
}

t.test('the payload travels verbatim after the header: never stringified again, key order and spacing kept', async (t) => {
  const dataJson = '{ "b": 1,\t"a": [2, 3] }'
  const message = encodeEnvelope({ type: 'emit', origin: 'n1', event: 'e', dataJson, rooms: [], except: [], omitRoom: true })
  t.ok(message.endsWith(`\n${dataJson}`))
  const decoded = decodeEnvelope(message)
  t.equal(decoded.ok && decoded.envelope.type === 'emit' ? decoded.envelope.dataJson : undefined, dataJson)
})

t.test('a payload containing newlines inside strings still splits at the header', async (t) => {
  const dataJson = JSON.stringify({ text: 'line one\nline two' })
  const decoded = decodeEnvelope(encodeEnvelope({ type: 'emit', origin: 'n1', event: 'e', dataJson, rooms: [], except: [], omitRoom: false }))
  t.match(decoded, { ok: true, envelope: { dataJson } })
})

t.test('decoding reports what is wrong instead of throwing', async (t) => {
  t.same(decodeEnvelope(''), { ok: false, reason: 'header is not JSON' })
  t.same(decodeEnvelope('{"v":1,"type":"emit","origin":"n1","rooms":[],"except":[],"event":"e","omitRoom":false}'), { ok: false, reason: 'emit without payload' })
  t.same(decodeEnvelope('{"v":1,"type":"response","origin":"n1","requestId":"r","answer":[1]}'), { ok: false, reason: 'bad response' })
  t.same(decodeEnvelope('{"v":1,"type":"emit","origin":"n1","rooms":[],"except":[],"exceptConnectionId":7,"event":"e","omitRoom":false}\n1'), { ok: false, reason: 'bad selection' })
  t.same(decodeEnvelope('{"v":1,"type":"subscribed","origin":"n1","room":"","announcementId":"a"}'), { ok: false, reason: 'bad announcement' })
  t.same(decodeEnvelope('{"v":1,"type":"subscribed","origin":"n1","room":"r"}'), { ok: false, reason: 'bad announcement' })
  t.same(decodeEnvelope('{"v":1,"type":"subscribed-ack","origin":"n1","announcementId":7}'), { ok: false, reason: 'bad announcement' })
})

t.test('an emit whose volatile flag is anything but true is dropped', async (t) => {
  const message = encodeEnvelope({ type: 'emit', origin: 'n1', event: 'tick', dataJson: '1', rooms: [], except: [], omitRoom: false }).replace('"omitRoom":false', '"omitRoom":false,"volatile":1')
  t.same(decodeEnvelope(message), { ok: false, reason: 'bad volatile flag' })
})
