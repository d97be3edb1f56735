/**
 * The Lua scripts of presence on Redis. Each changes one room's keys atomically and publishes the
 * event the change causes on the room's channel in the same step, so the order of events on the
 * channel is the order of the changes.
 *
 * A room's keys (sharing the channel's slot on a Cluster): `users`, a hash of user key → that
 * user's connections in the room, one line each, `owner \t connection id \t entry JSON`; `count`,
 * the room's connections; and per owner (a node, see RedisPresenceOwners) `owned`, a hash of its
 * connection ids → user key, so a dead owner's connections are found without a scan. Nothing here
 * decodes JSON: entries are stored and returned as the node serialised them.
 */

/**
 * Removes one connection's line from its user's entry. The leave is published when it was the
 * user's last connection: ARGV[leavePrefix] is the envelope up to the user id, which is the user
 * key without its `u` (a user's JSON id) or `null` (an anonymous connection's `c` key).
 */
const DROP = `
local function drop(users, count, owner, conn, userKey, publishCommand, channel, leavePrefix)
  local value = redis.call('HGET', users, userKey)
  if not value then return 0 end
  local line = owner .. '\\t' .. conn .. '\\t'
  local kept = {}
  local found = false
  for entry in string.gmatch(value, '[^\\n]+') do
    if not found and string.sub(entry, 1, #line) == line then found = true else kept[#kept + 1] = entry end
  end
  if not found then return 0 end
  if redis.call('DECR', count) <= 0 then redis.call('DEL', count) end
  if #kept > 0 then
    redis.call('HSET', users, userKey, table.concat(kept, '\\n'))
    return 1
  end
  redis.call('HDEL', users, userKey)
  if leavePrefix ~= '' then
    local userId = 'null'
    if string.sub(userKey, 1, 1) == 'u' then userId = string.sub(userKey, 2) end
    redis.call(publishCommand, channel, leavePrefix .. userId .. '}')
  end
  return 2
end
`

/**
 * KEYS: users, count, owned. ARGV: connection id, user key, line, key ttl, publish command,
 * channel, join message ('' for none). Returns 0 if the connection was there already, 1 if added
 * to a user already present, 2 if it is the user's first (announced).
 */
export const ADD_SCRIPT = `
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then return 0 end
local value = redis.call('HGET', KEYS[1], ARGV[2])
if value then
  redis.call('HSET', KEYS[1], ARGV[2], value .. '\\n' .. ARGV[3])
else
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
end
redis.call('INCR', KEYS[2])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
if value then return 1 end
if ARGV[7] ~= '' then redis.call(ARGV[5], ARGV[6], ARGV[7]) end
return 2
`

/**
 * KEYS: users, count, owned. ARGV: connection id, owner, key ttl, publish command, channel, leave
 * prefix ('' for none). Returns 0 if the connection was not there, 1 if its user is still present,
 * 2 if it was the user's last (announced).
 */
export const REMOVE_SCRIPT = `${DROP}
local userKey = redis.call('HGET', KEYS[3], ARGV[1])
if not userKey then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
local outcome = drop(KEYS[1], KEYS[2], ARGV[2], ARGV[1], userKey, ARGV[4], ARGV[5], ARGV[6])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return outcome
`

/**
 * KEYS: users, count, owned (of the dead owner). ARGV: owner, batch, publish command, channel,
 * leave prefix. Removes up to `batch` of the owner's connections, announcing each user that had no
 * other; returns how many it removed (fewer than `batch`: the owner has none left in the room).
 */
export const SWEEP_SCRIPT = `${DROP}
local conns = redis.call('HRANDFIELD', KEYS[3], ARGV[2])
for _, conn in ipairs(conns) do
  local userKey = redis.call('HGET', KEYS[3], conn)
  redis.call('HDEL', KEYS[3], conn)
  drop(KEYS[1], KEYS[2], ARGV[1], conn, userKey, ARGV[3], ARGV[4], ARGV[5])
end
return #conns
`

/**
 * KEYS: users, count. ARGV: limit. Returns the room's users and connections, and the fields and
 * values of about `limit` users (all of them when there are no more): a bounded HSCAN, never a
 * whole large hash.
 */
export const READ_SCRIPT = `
local users = redis.call('HLEN', KEYS[1])
local connections = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
if users <= limit then return {users, connections, redis.call('HGETALL', KEYS[1])} end
local fields = {}
local cursor = '0'
repeat
  local reply = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', limit)
  cursor = reply[1]
  for _, item in ipairs(reply[2]) do fields[#fields + 1] = item end
until cursor == '0' or #fields >= 2 * limit
return {users, connections, fields}
`

/** KEYS: users, count. Returns the room's users and connections: O(1). */
export const STATS_SCRIPT = `
return {redis.call('HLEN', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0')}
`

/** KEYS: users, count, owned. ARGV: key ttl. Keeps a room's keys while its members stay. */
export const TOUCH_SCRIPT = `
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 1
`

/**
 * KEYS: owners, sweeping (sorted sets of owners by expiry time). ARGV: owner, now, its new expiry,
 * claim expiry, most claims, whether to claim ('1'), key ttl. Refreshes the owner if it is still
 * registered (1) or says it is not (0: Redis lost it, or it was taken for dead); then, if asked,
 * claims up to `most claims` other owners that expired (or whose sweep's claim expired: the
 * sweeper died) for this node to sweep, moving them to `sweeping` until the claim expires.
 */
export const HEARTBEAT_SCRIPT = `
local alive = 0
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  alive = 1
end
local claimed = {}
if ARGV[6] == '1' then
  for _, key in ipairs(KEYS) do
    for _, owner in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. ARGV[2], 'LIMIT', 0, ARGV[5])) do
      if owner ~= ARGV[1] and #claimed < tonumber(ARGV[5]) then
        redis.call('ZREM', KEYS[1], owner)
        redis.call('ZADD', KEYS[2], ARGV[4], owner)
        claimed[#claimed + 1] = owner
      end
    end
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return {alive, claimed}
`

/**
 * KEYS: owners, sweeping. ARGV: owner, claim expiry. A node closing moves its own owner to
 * `sweeping` and sweeps it: should it die halfway, another node finishes once the claim expires.
 */
export const RETIRE_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`
