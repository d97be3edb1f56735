import Redis from 'ioredis'
import t from 'tap'
import { RedisChannels } from '../lib/bus/redis-channels'
import { userKeyOf, type PresenceMember } from '../lib/presence/presence-member'
import type { PresenceNode } from '../lib/presence/presence-store'
import { RedisPresenceStore } from '../lib/presence/redis-presence'
import { RedisPresenceKeys } from '../lib/presence/redis-presence-keys'
import { startRedis } from './helpers/redis-server'

// The Redis presence store on its own, against a real redis-server: what it does when Redis is not
// there or answers with errors, and how a list reads users whose stored lines are not as the scripts
// write them. And the key names on a Cluster, where some rooms cannot have presence.

const ROOM = 'doc:1'

function memberOf (connectionId: string, userId: string | null): PresenceMember {
  const entryJson = `{"id":${JSON.stringify(connectionId)},"transport":"ws","info":null,"joinedAt":1}`
  return { connectionId, userId, userKey: userKeyOf(userId, connectionId), entryJson, infoJson: 'null' }
}

const silent = { debug () {}, warn () {}, error () {}, info () {}, trace () {}, fatal () {}, child () { return silent }, level: 'silent', silent () {} }

function nodeOf (announces: boolean): PresenceNode {
  return { id: 'node-under-test', log: silent as never, announces: () => announces, deliver () {}, restore () {}, retry () {} }
}

t.test('a store whose Redis connection is down answers without reaching it', async (t) => {
  const redis = await startRedis(t)
  const client = new Redis(redis.url)
  const store = new RedisPresenceStore(client, new RedisChannels('cov-down'), 400)
  await store.start(nodeOf(true))
  const ada = memberOf('c1', 'ada')
  t.equal(await store.add(ROOM, ada), true)
  t.same(await store.stats(ROOM), { users: 1, connections: 1 })
  client.disconnect()
  await t.resolves(new Promise<void>((resolve) => { if (client.status === 'end') resolve(); else client.once('end', resolve) }))
  t.equal(await store.add(ROOM, memberOf('c2', 'bob')), false, 'an add fails at once')
  t.equal(await store.remove(ROOM, ada, store.owner), false, 'a remove fails at once')
  t.equal(await store.read(ROOM, 10), undefined, 'a list cannot be read')
  t.equal(await store.stats(ROOM), undefined, 'nor the counts')
  await store.stop()
  const check = new Redis(redis.url)
  t.teardown(() => check.disconnect())
  const owners = await check.zrange('{cov-down#presence}#owners', 0, -1)
  t.equal(owners.length, 1, 'a store that could not reach Redis leaves its owner for the survivors to sweep')
  t.equal(await check.hlen('cov-down#room#doc:1#presence'), 1, 'and its member stays until then')
})

t.test('commands Redis rejects are reported as failures, never as rejections', async (t) => {
  const redis = await startRedis(t)
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const store = new RedisPresenceStore(client, new RedisChannels('cov-wrong'), 400)
  await store.start(nodeOf(false))
  const ada = memberOf('c1', 'ada')
  // The room's users hash is a string instead: every script on it fails with WRONGTYPE.
  await client.set('cov-wrong#room#doc:1#presence', 'not a hash')
  t.equal(await store.add(ROOM, ada), false, 'the add fails')
  t.equal(await store.read(ROOM, 10), undefined, 'the list fails')
  t.equal(await store.stats(ROOM), undefined, 'the counts fail')
  t.equal(await store.remove(ROOM, ada, store.owner), false, 'the remove fails')
  t.equal(await store.remove(ROOM, memberOf('c9', 'nobody'), store.owner), true, 'a remove of a member this owner never stored is done without reading the users')
  await client.del('cov-wrong#room#doc:1#presence')
  t.equal(await store.add(ROOM, ada), true, 'once the key is fixed, the add goes through')
  t.same(await store.read(ROOM, 10), { users: 1, connections: 1, members: [{ userId: 'ada', connections: [{ id: 'c1', transport: 'ws', info: null, joinedAt: 1 }] }] })
  await store.stop()
  t.equal(await client.exists('cov-wrong#room#doc:1#presence'), 0, 'stopping removes this node\'s members')
})

t.test('a list leaves out what does not read as the scripts wrote it', async (t) => {
  const redis = await startRedis(t)
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const store = new RedisPresenceStore(client, new RedisChannels('cov-read'), 400)
  await store.start(nodeOf(true))
  t.equal(await store.add(ROOM, memberOf('c1', 'ada')), true)
  t.equal(await store.add(ROOM, memberOf('c2', null)), true)
  const limited = await store.read(ROOM, 1)
  t.match(limited, { users: 2, connections: 2 }, 'a limited list still counts everyone')
  t.equal(limited?.members.length, 1, 'and lists no more than its limit')
  const users = 'cov-read#room#doc:1#presence'
  await client.hset(users, 'u{not json', 'o\tc3\t{"id":"c3"}')
  await client.hset(users, 'u42', 'o\tc4\t{"id":"c4"}')
  await client.hset(users, userKeyOf('bob', 'c5'), ['no tabs here', 'one\ttab', 'o\tc5\t{"id":"c5"}', 'o2\tc5\t{"id":"c5","again":true}', 'o\tc6\t{broken'].join('\n'))
  await client.hset(users, userKeyOf('eve', 'c7'), 'o\tc7\t{broken')
  const read = await store.read(ROOM, 100)
  t.ok(read !== undefined)
  const byUser = new Map(read?.members.map((entry) => [entry.userId, entry.connections]))
  t.same([...byUser.keys()].sort(), [null, 'ada', 'bob'].sort(), 'users whose key or every line is unreadable are left out')
  t.same(byUser.get('bob'), [{ id: 'c5' }], 'a connection listed twice counts once; unreadable lines are skipped')
  await store.stop()
})

t.test('a member removed under another owner leaves this owner\'s room count alone', async (t) => {
  const redis = await startRedis(t)
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const store = new RedisPresenceStore(client, new RedisChannels('cov-own'), 400)
  await store.start(nodeOf(true))
  const ada = memberOf('c1', 'ada')
  const bob = memberOf('c2', 'bob')
  t.equal(await store.add(ROOM, ada), true)
  t.equal(await store.add(ROOM, bob), true)
  const rooms = `cov-own#presence-rooms#${store.owner}`
  t.equal(await store.remove(ROOM, memberOf('c3', 'zed'), 'some-other-owner'), true, 'a remove under an owner this node is not')
  t.equal(await store.remove('other-room', ada, store.owner), true, 'a remove from a room this owner holds nothing in')
  t.same(await client.smembers(rooms), [ROOM], 'the room stays listed for this owner')
  t.equal(await store.remove(ROOM, ada, store.owner), true)
  t.same(await client.smembers(rooms), [ROOM], 'still listed while bob is in it')
  t.equal(await store.remove(ROOM, bob, store.owner), true)
  t.same(await client.smembers(rooms), [], 'unlisted after its last member')
  await store.stop()
})

t.test('room keys on a Cluster hash to the channel\'s slot, or the room has no presence', async (t) => {
  const channels = new RedisChannels('p')
  const sharded = new RedisPresenceKeys(channels, true)
  t.same(sharded.room('doc', 'o'), { users: '{p#room#doc}#presence', count: '{p#room#doc}#presence-count', owned: '{p#room#doc}#presence-owner#o' }, 'no tag: the channel becomes one')
  t.equal(sharded.room('{doc}', 'o')?.users, 'p#room#{doc}#presence', 'a channel with a tag keeps it')
  t.equal(sharded.room('a}b', 'o'), undefined, 'a `}` with no `{` before it')
  t.equal(sharded.room('{}b', 'o'), undefined, 'an empty tag is no tag')
  t.equal(sharded.room('{b', 'o')?.users, '{p#room#{b}#presence', 'a `{` alone is no tag and has no `}`')
  const plain = new RedisPresenceKeys(channels, false)
  t.equal(plain.room('a}b', 'o')?.users, 'p#room#a}b#presence', 'off a Cluster, every room has its keys')
})

t.test('stopping sweeps more members than one script removes', async (t) => {
  const redis = await startRedis(t)
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const store = new RedisPresenceStore(client, new RedisChannels('cov-many'), 400)
  await store.start(nodeOf(true))
  const added = await Promise.all(Array.from({ length: 300 }, async (_, i) => await store.add(ROOM, memberOf(`c${i}`, `user-${i}`))))
  t.equal(added.filter(Boolean).length, 300)
  t.same(await store.stats(ROOM), { users: 300, connections: 300 })
  await store.stop()
  t.equal(await client.hlen('cov-many#room#doc:1#presence'), 0, 'every member is gone, over more than one batch')
  t.equal(Number(await client.get('cov-many#room#doc:1#presence-count') ?? 0), 0, 'and the count is back to none')
})
