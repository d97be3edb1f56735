/**
 * Room history on Redis: per room a capped stream of its emits and a meta hash with the stream's
 * epoch and top offset, both expiring `ttl` after the room's last emit. One script per emit takes
 * the next offset, stores the emit and publishes it on the room's channel, so history and live
 * delivery cannot disagree; on a Cluster the keys share the channel's slot and the script
 * SPUBLISHes. Shared by the bus and the emitter.
 */
import { decodeEnvelope, encodeEnvelope } from './envelope-codec'
import type { EmitEnvelope } from './envelope'
import type { HistoryLimits } from './memory-history'
import type { RedisChannels } from './redis-channels'
import { isCluster, type RedisClient } from './redis-connections'
import { newEpoch, type HistoryEntry, type HistoryRead, type StreamPosition, type StreamStamp } from '../recovery/stream-position'
import type { Room } from '../types'

const APPEND_COMMAND = 'fastifyRealtimeAppendHistory'
const READ_COMMAND = 'fastifyRealtimeReadHistory'

/**
 * KEYS: stream, meta. ARGV: message, size, ttl, channel, publish command, a new epoch in case the
 * room has none. A stream without its meta is dropped first (an offset restarting at 1 could not be
 * added after its old entries), and so is a stream whose entries are ahead of its meta's top. The
 * published message is the stored one behind a stamp line.
 */
const APPEND_SCRIPT = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[6]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local offset = redis.call('HINCRBY', KEYS[2], 'top', 1)
local added = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], offset .. '-0', 'm', ARGV[1])
if type(added) == 'table' and added.err then
  -- The stream is ahead of its meta (they came apart, e.g. one restored without the other): a new epoch.
  epoch = ARGV[6]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch)
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], offset .. '-0', 'm', ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call(ARGV[5], ARGV[4], '~' .. offset .. ' ' .. epoch .. '\\n' .. ARGV[1])
return {offset, epoch}
`

/**
 * KEYS: stream, meta. ARGV: after, limit, fence epoch ('' for none), fence offset, new epoch. The
 * fence: a client saw an offset above the top of the same epoch, so the stream lost its tail (an
 * asynchronous replica took over): a new epoch makes every client of the old one reload instead
 * of missing what was lost.
 */
const READ_SCRIPT = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
local top = tonumber(redis.call('HGET', KEYS[2], 'top') or '0')
if epoch and ARGV[3] == epoch and tonumber(ARGV[4]) > top then
  epoch = ARGV[5]
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local entries = {}
if epoch and tonumber(ARGV[2]) > 0 then
  entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
end
return {epoch or false, top, entries}
`

type HistoryCommands = RedisClient & {
  [APPEND_COMMAND]: (stream: string, meta: string, ...args: Array<string | number>) => Promise<[number, string]>
  [READ_COMMAND]: (stream: string, meta: string, ...args: Array<string | number>) => Promise<[string | null, number, Array<[string, string[]]>]>
}

/** A message as the append script publishes it: the stamp, then the envelope. */
const STAMP_PATTERN = /^~(\d{1,15}) ([\w-]{1,64})\n/

export class RedisHistory {
  private readonly client: HistoryCommands
  private readonly channels: RedisChannels
  private readonly publishCommand: 'publish' | 'spublish'

  constructor (client: RedisClient, channels: RedisChannels) {
    client.defineCommand(APPEND_COMMAND, { numberOfKeys: 2, lua: APPEND_SCRIPT })
    client.defineCommand(READ_COMMAND, { numberOfKeys: 2, lua: READ_SCRIPT })
    this.client = client as HistoryCommands
    this.channels = channels
    this.publishCommand = isCluster(client) ? 'spublish' : 'publish'
  }

  /** Whether a room can keep history here: on a Cluster its keys must hash to its channel's slot. */
  canKeep (room: Room): boolean {
    return this.keys(room) !== undefined
  }

  /** Resolves with the emit's place in the room's stream, or undefined when Redis did not take it. Never rejects. */
  async append (room: Room, envelope: EmitEnvelope, limits: HistoryLimits): Promise<StreamStamp | undefined> {
    const keys = this.keys(room)
    if (keys === undefined || this.client.status !== 'ready') return undefined
    try {
      const [offset, epoch] = await this.client[APPEND_COMMAND](keys.stream, keys.meta, encodeEnvelope(envelope), limits.size, limits.ttl, this.channels.room(room), this.publishCommand, newEpoch())
      return { room, offset: Number(offset), epoch: String(epoch) }
    } catch {
      return undefined
    }
  }

  /** Undefined when Redis could not be asked. Entries that fail to decode are left out (the caller sees the hole). */
  async read (room: Room, after: number, limit: number, fence?: StreamPosition): Promise<HistoryRead | undefined> {
    const keys = this.keys(room)
    if (keys === undefined || this.client.status !== 'ready') return undefined
    try {
      const [epoch, top, rawEntries] = await this.client[READ_COMMAND](keys.stream, keys.meta, after, limit, fence?.epoch ?? '', fence?.offset ?? 0, newEpoch())
      const entries: HistoryEntry[] = []
      for (const [id, fields] of rawEntries) {
        const decoded = decodeEnvelope(fields[1] ?? '')
        if (decoded.ok && decoded.envelope.type === 'emit') entries.push({ offset: Number.parseInt(id, 10), envelope: decoded.envelope })
      }
      return { epoch: epoch ?? undefined, top: Number(top), entries }
    } catch {
      return undefined
    }
  }

  /** The keys of a room's history (see RedisChannels.roomKeyBase). */
  private keys (room: Room): { stream: string, meta: string } | undefined {
    const base = this.channels.roomKeyBase(room, this.publishCommand === 'spublish')
    return base === undefined ? undefined : { stream: `${base}#history`, meta: `${base}#meta` }
  }
}

/** Splits a message the append script published into its stamp and envelope; undefined for any other message. */
export function readStamp (message: string): { offset: number, epoch: string, rest: string } | undefined {
  const match = STAMP_PATTERN.exec(message)
  if (match === null) return undefined
  return { offset: Number(match[1]), epoch: match[2], rest: message.slice(match[0].length) }
}
