import type { Room } from '../types'
import { encodeResumeParameter, resumeEntryLength } from './client-codec'
import type { StreamPosition } from './positions'

/** The most rooms one resume request may name: the server refuses the handshake (400) beyond. */
export const MAX_RESUME_ROOMS = 100

/**
 * The longest `resume` parameter sent, in characters once URI-encoded (100 rooms named like
 * `desk:42` take about 6,500). The parameter travels in the upgrade request's line, which servers
 * and proxies bound (nginx: 8 KB by default; Node: 16 KB with all the headers): a longer one would
 * be refused on every attempt, and the client would never get back in. Rooms past it are
 * re-joined with join frames.
 */
export const MAX_RESUME_LENGTH = 7_000

/** `{` and `}`, URI-encoded. */
const BRACES_LENGTH = 6

/**
 * The rooms to name in a resume request, from the known positions most recently updated first:
 * as many as fit within `MAX_RESUME_ROOMS` and `MAX_RESUME_LENGTH`, so the rooms with the latest
 * activity, the ones likeliest to have had events while the client was away, are resumed first.
 */
export function selectResume (recentFirst: ReadonlyArray<readonly [Room, StreamPosition]>): Map<Room, StreamPosition> {
  const named = new Map<Room, StreamPosition>()
  let length = BRACES_LENGTH
  for (const [room, position] of recentFirst) {
    if (named.size === MAX_RESUME_ROOMS) break
    const entryLength = resumeEntryLength(room, position)
    // A room too long to fit leaves room for shorter ones after it.
    if (length + entryLength > MAX_RESUME_LENGTH) continue
    length += entryLength
    named.set(room, position)
  }
  return named
}

/** `url` with the `resume` query parameter added, or `url` itself when there is nothing to resume. */
export function withResume (url: string, named: ReadonlyMap<Room, StreamPosition>): string {
  if (named.size === 0) return url
  const hashAt = url.indexOf('#')
  const base = hashAt === -1 ? url : url.slice(0, hashAt)
  const fragment = hashAt === -1 ? '' : url.slice(hashAt)
  const separator = !base.includes('?') ? '?' : /[?&]$/.test(base) ? '' : '&'
  return `${base}${separator}resume=${encodeResumeParameter(named)}${fragment}`
}
