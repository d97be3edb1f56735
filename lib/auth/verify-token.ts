import type { JWT } from '@fastify/jwt'
import type { FastifyBaseLogger } from 'fastify'
import { RealtimeError } from '../errors'
import type { ResolvedOptions } from '../options'
import { isValidRoomName } from '../protocol/names'
import { userRoom, type Identity, type RealtimeUser } from '../types'
import { callAppCallback } from './app-callback'

export const ANONYMOUS: Identity = Object.freeze({ user: null, userId: null, expiresAt: null })

// `jwt.verify` surfaces fast-jwt's codes; @fastify/jwt's own appear when it wraps the same failure.
const EXPIRED_CODES = new Set<unknown>(['FAST_JWT_EXPIRED', 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED'])

/**
 * Verifies a token with @fastify/jwt and turns it into an Identity, or throws a RealtimeError:
 * TOKEN_EXPIRED for an expired token, UNAUTHORIZED for anything else, INTERNAL when `auth.userId`
 * or `auth.trusted` throws (see callAppCallback). Library errors are translated by their code, never
 * by message. The token itself is never logged.
 */
export async function verifyToken (jwt: JWT, token: string, auth: ResolvedOptions['auth'], log: FastifyBaseLogger): Promise<Identity> {
  let payload: unknown
  try {
    payload = await jwt.verify<RealtimeUser>(token)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (EXPIRED_CODES.has(code)) throw new RealtimeError('TOKEN_EXPIRED')
    if (typeof code !== 'string' || !(code.startsWith('FAST_JWT_') || code.startsWith('FST_JWT_'))) {
      log.warn({ errCode: code, errName: (err as Error).name }, 'fastify-realtime: token verification failed unexpectedly')
    }
    throw new RealtimeError('UNAUTHORIZED', 'Invalid token')
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new RealtimeError('UNAUTHORIZED', 'Token payload must be an object')
  }
  const user = payload as RealtimeUser
  if (auth.requireExpiry && typeof user.exp !== 'number') throw new RealtimeError('UNAUTHORIZED', 'Token has no expiry')
  const userId = userIdOf(await callAppCallback(log, 'auth.userId', () => auth.userId(user)))
  if (userId === undefined || !isValidRoomName(userRoom(userId))) throw new RealtimeError('UNAUTHORIZED', 'Token has no valid subject')
  const trusted = auth.trusted
  if (trusted !== undefined && !(await callAppCallback(log, 'auth.trusted', () => trusted(user)))) throw new RealtimeError('UNAUTHORIZED', 'Token revoked')
  return { user, userId, expiresAt: typeof user.exp === 'number' ? user.exp * 1000 : null }
}

/**
 * The user id `auth.userId` gave, as the string rooms are named with: only a non-empty string or a
 * finite number is an id. Anything else is no id, never stringified: `{ id: 1 }` and `{ id: 2 }`
 * would both become `[object Object]` (one user, sharing each other's events) and `["42"]` user 42.
 */
function userIdOf (id: unknown): string | undefined {
  if (typeof id === 'string') return id === '' ? undefined : id
  if (typeof id === 'number' && Number.isFinite(id)) return String(id)
  return undefined
}
