import t from 'tap'
import { parseLogRecord, positionsAt, SESSION_LOG_SIZE, SessionLog, type SessionLogRecord } from '../lib/recovery/session-log'
import { decodeSession, encodeSession, MAX_SESSION_LENGTH } from '../lib/recovery/socketio-session'
import { parseToken, TokenIssuer, type ParsedToken } from '../lib/recovery/socketio-token'

/*
 * The session log of a Socket.IO connection with recovery, alone: which positions a token names in
 * every room of the session (see lib/recovery/session-log.ts).
 */

const TAG = 'node1'
const nowhere = (): undefined => undefined

function seq (n: number, tag = TAG): ParsedToken {
  return { tag, kind: 'seq', seq: n }
}

function at (epoch: string, offset: number, tag = TAG): ParsedToken {
  return { tag, kind: 'position', epoch, offset }
}

function positions (record: SessionLogRecord, token: ParsedToken, rooms: string[]): Record<string, [number, string]> | undefined {
  const found = positionsAt(record, token, rooms)
  return found === undefined ? undefined : Object.fromEntries([...found].map(([room, p]) => [room, [p.offset, p.epoch]]))
}

t.test('tokens: the two forms, read back; anything else is not one', async (t) => {
  const issuer = new TokenIssuer('abc')
  t.equal(issuer.current, 0)
  const { seq: first, token } = issuer.take()
  t.equal(first, 1)
  t.equal(token, 'abc.1')
  t.equal(issuer.current, 1)
  t.equal(issuer.ofPosition('Ep-och_1', 1295), 'abc.Ep-och_1.zz')
  t.same(parseToken('abc.1'), { tag: 'abc', kind: 'seq', seq: 1 })
  t.same(parseToken('abc.Ep-och_1.zz'), { tag: 'abc', kind: 'position', epoch: 'Ep-och_1', offset: 1295 })
  for (const bad of [undefined, 7, '', 'abc', 'abc.', 'abc.Z', 'a.b.c.d', 'ab c.1', '.1', 'abc.e.', `abc.${'z'.repeat(12)}`, 'x'.repeat(200)]) {
    t.equal(parseToken(bad), undefined, String(bad))
  }
  t.match(new TokenIssuer().tag, /^[\w-]{8}$/)
})

t.test('a seq token names the moment its number was taken; a position token the event it came with', async (t) => {
  const log = new SessionLog(TAG, 10, { a: { offset: 5, epoch: 'A' }, b: { offset: 0, epoch: '' } })
  // Moments: the welcome took 11, then a@6, b@1 (G 11), a note took 12, then a@7 (G 12).
  log.delivered('a', 6, 'A', 11)
  log.delivered('b', 1, 'B', 11)
  log.delivered('a', 7, 'A', 12)
  const record = log.record(12, nowhere)
  const rooms = ['a', 'b']
  t.same(positions(record, seq(11), rooms), { a: [5, 'A'], b: [0, ''] }, 'the welcome: where the log began')
  t.same(positions(record, at('A', 6), rooms), { a: [6, 'A'], b: [0, ''] })
  t.same(positions(record, at('B', 1), rooms), { a: [6, 'A'], b: [1, 'B'] })
  t.same(positions(record, seq(12), rooms), { a: [6, 'A'], b: [1, 'B'] }, 'the note came after b@1')
  t.same(positions(record, at('A', 7), rooms), { a: [7, 'A'], b: [1, 'B'] })
  t.equal(positions(record, seq(10), rooms), undefined, 'issued before the log began')
  t.equal(positions(record, seq(13), rooms), undefined, 'never issued')
  t.equal(positions(record, seq(11, 'other'), rooms), undefined, 'another node\'s')
  t.equal(positions(record, at('A', 8), rooms), undefined, 'an event the log never had')
  t.equal(positions(record, at('A', 5), rooms), undefined, 'the base is not an event')
})

t.test('entries that fall out of the ring fold into the base; tokens before them are not placed', async (t) => {
  const log = new SessionLog(TAG, 0, { a: { offset: 0, epoch: 'A' }, b: { offset: 0, epoch: 'B' } })
  const total = SESSION_LOG_SIZE + 10
  for (let i = 1; i <= total; i++) log.delivered(i % 2 === 0 ? 'a' : 'b', Math.ceil(i / 2), i % 2 === 0 ? 'A' : 'B', i)
  const record = log.record(total, nowhere)
  t.equal(record.entries.length, SESSION_LOG_SIZE)
  t.equal(record.dropped, 10)
  t.same(record.base, [['a', 5, 'A'], ['b', 5, 'B']])
  t.equal(positions(record, at('B', 5), ['a', 'b']), undefined, 'folded')
  t.equal(positions(record, seq(10), ['a', 'b']), undefined)
  t.same(positions(record, seq(11), ['a', 'b']), { a: [5, 'A'], b: [5, 'B'] })
  t.same(positions(record, at('B', 6), ['a', 'b']), { a: [5, 'A'], b: [6, 'B'] })
  t.same(positions(record, at('A', total / 2), ['a', 'b']), { a: [total / 2, 'A'], b: [total / 2, 'B'] })
})

t.test('joins and leaves: a room joined after the token resumes from its join; one left and joined again does not recover', async (t) => {
  const log = new SessionLog(TAG, 0, { a: { offset: 3, epoch: 'A' } })
  log.delivered('a', 4, 'A', 1)
  log.joined('c', { offset: 9, epoch: 'C' }, 1)
  log.delivered('c', 10, 'C', 1)
  log.left('a', 2)
  log.joined('a', { offset: 8, epoch: 'A' }, 2)
  const record = log.record(3, nowhere)
  t.same(positions(record, at('A', 4), ['c']), { c: [9, 'C'] }, 'joined after: from the join')
  t.same(positions(record, at('C', 10), ['c']), { c: [10, 'C'] })
  t.equal(positions(record, at('A', 4), ['a']), undefined, 'left and joined again after the token')
  t.same(positions(record, seq(3), ['a', 'c']), { a: [8, 'A'], c: [10, 'C'] }, 'both changes before the token')
  t.equal(positions(record, at('A', 4), ['d']), undefined, 'a room the log never had')
})

t.test('a join before its stream knew its position takes it from the next event, or from the stream at the record', async (t) => {
  const log = new SessionLog(TAG, 0, {})
  log.joined('a', undefined, 0)
  log.joined('b', undefined, 0)
  log.joined('c', undefined, 0)
  log.delivered('a', 21, 'A', 0)
  log.reset('c', { offset: 5, epoch: 'C' }, 0)
  const taken = log.record(1, (room) => room === 'b' ? { offset: 7, epoch: 'B' } : undefined)
  t.same(positions(taken, seq(1), ['a', 'b', 'c']), { a: [21, 'A'], b: [7, 'B'], c: [5, 'C'] })
  t.same(positions(taken, at('A', 21), ['a', 'b']), { a: [21, 'A'], b: [7, 'B'] })
  t.equal(positions(taken, at('A', 21), ['c']), undefined, 'reset before any event: its join position is lost')
  t.equal(positions(log.record(1, nowhere), seq(1), ['b']), undefined, 'a position never known')
  // Settled once, for good: the pending join of a leaves no trace in later records.
  t.same(positions(log.record(1, nowhere), seq(1), ['a']), { a: [21, 'A'] })
})

t.test('a reset is part of the moment its own token names', async (t) => {
  const log = new SessionLog(TAG, 0, { a: { offset: 2, epoch: 'A' } })
  log.delivered('a', 3, 'A', 0)
  // The reset message took 1: made "after 0".
  log.reset('a', { offset: 40, epoch: 'A' }, 0)
  log.delivered('a', 41, 'A', 1)
  const record = log.record(1, nowhere)
  t.same(positions(record, seq(1), ['a']), { a: [40, 'A'] })
  t.same(positions(record, at('A', 3), ['a']), { a: [3, 'A'] })
  t.same(positions(record, at('A', 41), ['a']), { a: [41, 'A'] })
})

t.test('two rooms whose streams drew one epoch: their position tokens are ambiguous', async (t) => {
  const log = new SessionLog(TAG, 0, { a: { offset: 0, epoch: 'E' }, b: { offset: 0, epoch: 'E' } })
  log.delivered('a', 1, 'E', 0)
  log.delivered('b', 1, 'E', 0)
  t.equal(positions(log.record(0, nowhere), at('E', 1), ['a', 'b']), undefined)
})

t.test('records and sessions read back, and nothing malformed does', async (t) => {
  const log = new SessionLog(TAG, 3, { a: { offset: 1, epoch: 'A' } })
  log.delivered('a', 2, 'A', 3)
  const record = log.record(4, nowhere)
  t.same(parseLogRecord(JSON.parse(JSON.stringify(record))), record)
  for (const bad of [null, [], { ...record, tag: 1 }, { ...record, start: -1 }, { ...record, base: [['a', 1]] }, { ...record, entries: [[9, 0, 'a', 0, '']] }, { ...record, entries: Array(SESSION_LOG_SIZE + 1).fill([0, 0, 'a', 1, 'A']) }]) {
    t.equal(parseLogRecord(bad), undefined)
  }
  const session = { sid: '$c:x', pid: 'p', userId: 'u1', rooms: ['a', 'b'], log: record, expiresAt: Date.now() + 1_000 }
  const value = encodeSession(session, '{"n":1}')
  t.type(value, 'string')
  t.same(decodeSession(value as string), { ...session, data: { n: 1 } })
  t.equal(decodeSession(value as string, Date.now() + 2_000), undefined, 'expired')
  t.equal(decodeSession('{'), undefined)
  t.equal(decodeSession(JSON.stringify({ v: 2 })), undefined)
  t.equal(encodeSession(session, JSON.stringify('x'.repeat(MAX_SESSION_LENGTH))), undefined, 'too large to keep')
})
