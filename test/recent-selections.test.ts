import t from 'tap'
import { RecentSelections } from '../lib/hub/recent-selections'

const selection = (rooms: string[], except: string[] = [], exceptConnectionId?: string): { rooms: string[], except: string[], exceptConnectionId?: string } =>
  exceptConnectionId === undefined ? { rooms, except } : { rooms, except, exceptConnectionId }

t.test('a disconnect selects a connection by the rooms it is about to be in, and only those since its mark', async (t) => {
  const recent = new RecentSelections()
  recent.record(selection(['user:1']))
  const mark = recent.mark
  t.notOk(recent.selectsSince(mark, 'c1', ['user:1']), 'a disconnect before the mark does not count')
  recent.record(selection(['user:2']))
  t.notOk(recent.selectsSince(mark, 'c1', ['user:1', 'org:1']), 'another user')
  recent.record(selection(['org:1'], ['user:1']))
  t.notOk(recent.selectsSince(mark, 'c1', ['user:1', 'org:1']), 'a room it is in, but excepted')
  recent.record(selection(['org:1'], [], 'c1'))
  t.notOk(recent.selectsSince(mark, 'c1', ['user:1', 'org:1']), 'the excepted connection')
  t.ok(recent.selectsSince(mark, 'c2', ['user:3', 'org:1']), 'another connection in org:1')
  recent.record(selection([]))
  t.ok(recent.selectsSince(mark, 'c1', ['user:1']), 'a disconnect of everyone')
})

t.test('when more disconnects came since the mark than are kept, whether one was for the connection is unknown', async (t) => {
  const recent = new RecentSelections()
  const mark = recent.mark
  recent.record(selection(['user:1']))
  for (let i = 0; i < 1024; i++) recent.record(selection([`user:${i + 100}`]))
  t.equal(recent.selectsSince(mark, 'c1', ['user:1']), 'unknown', 'user 1\'s disconnect has gone: the admission cannot tell')
  t.equal(recent.selectsSince(mark, 'c2', ['user:1123']), true, 'the latest are still known')
  t.equal(recent.selectsSince(recent.mark, 'c1', ['user:1']), false, 'a connection marked after them is not affected')
})

t.test('no number of joins and leaves pushes a disconnect out', async (t) => {
  const recent = new RecentSelections()
  const mark = recent.mark
  recent.record(selection(['user:1']))
  for (let i = 0; i < 5000; i++) recent.recordRoomChange(selection([`order:${i}`]), 'join', [`archive:${i}`])
  t.equal(recent.selectsSince(mark, 'c1', ['user:1']), true, 'the logout is still known')
  const replayed: string[] = []
  recent.replayRoomChanges(mark, 'c1', () => ['order:4999'], (_kind, rooms) => replayed.push(...rooms))
  t.same(replayed, ['archive:4999'], 'the latest room changes are replayed')
})
