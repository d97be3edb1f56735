/**
 * The offsets of Socket.IO's connection state recovery, as this plugin makes them. socket.io-client
 * keeps the last string argument of every event it receives (when its socket has a `pid`) and sends
 * it back as `offset` in the CONNECT of its next connection. It keeps ONE offset per connection while
 * the rooms here each have their own stream, so a token only names a moment in the connection's
 * deliveries; the connection's session log (see session-log) maps it back to a position in every
 * room of the session.
 *
 * Two forms, both naming the node that issued them (`tag`: tokens of another node, or of an earlier
 * life of this one, are never looked up in a log they do not belong to):
 *
 * - `<tag>.<epoch>.<offset>` for an event of a room with history: its place in the room's stream.
 *   It depends on the event alone, so the packet is encoded once for every recipient on the node.
 * - `<tag>.<seq>` for every other event packet (rooms without history, broadcasts to everyone,
 *   `socket.emit`, the welcome, refusals, `recovery:reset`): a number of the node's own sequence,
 *   taken once per message (one per broadcast, shared by its recipients).
 *
 * Numbers are base 36. Epochs are base64url (`[\w-]`), so `.` never occurs inside a part.
 */
import { randomBytes } from 'node:crypto'

export type ParsedToken =
  | { readonly tag: string, readonly kind: 'seq', readonly seq: number }
  | { readonly tag: string, readonly kind: 'position', readonly epoch: string, readonly offset: number }

/** Longest offset accepted from a client: ours are about 25 characters. */
export const MAX_TOKEN_LENGTH = 128

const TAG_PATTERN = /^[\w-]{1,16}$/
const EPOCH_PATTERN = /^[\w-]{1,64}$/
const NUMBER_PATTERN = /^[0-9a-z]{1,11}$/

/** One node's tokens: its tag and its sequence. */
export class TokenIssuer {
  readonly tag: string
  private last = 0

  constructor (tag: string = randomBytes(6).toString('base64url')) {
    this.tag = tag
  }

  /** The last number taken: a moment every token issued so far is at or before. */
  get current (): number {
    return this.last
  }

  /** Takes the next number of the sequence and returns it with its token. */
  take (): { seq: number, token: string } {
    const seq = ++this.last
    return { seq, token: `${this.tag}.${seq.toString(36)}` }
  }

  /** The token of an event at `offset` of a room stream's `epoch`. */
  ofPosition (epoch: string, offset: number): string {
    return `${this.tag}.${epoch}.${offset.toString(36)}`
  }
}

/** Reads a token a client sent back; undefined for anything this plugin did not make. */
export function parseToken (value: unknown): ParsedToken | undefined {
  if (typeof value !== 'string' || value.length > MAX_TOKEN_LENGTH) return undefined
  const parts = value.split('.')
  const tag = parts[0]
  if (!TAG_PATTERN.test(tag)) return undefined
  if (parts.length === 2) {
    const seq = parseNumber(parts[1])
    return seq === undefined ? undefined : { tag, kind: 'seq', seq }
  }
  if (parts.length === 3 && EPOCH_PATTERN.test(parts[1])) {
    const offset = parseNumber(parts[2])
    return offset === undefined ? undefined : { tag, kind: 'position', epoch: parts[1], offset }
  }
  return undefined
}

function parseNumber (text: string): number | undefined {
  if (!NUMBER_PATTERN.test(text)) return undefined
  const value = Number.parseInt(text, 36)
  return Number.isSafeInteger(value) ? value : undefined
}
