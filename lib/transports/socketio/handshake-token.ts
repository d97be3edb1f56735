import type { Socket } from 'socket.io'
import { bearerToken } from '../../auth/token'

/**
 * Finds the token of a Socket.IO client: `auth: { token }` (what socket.io-client sends with the
 * namespace connection, so it never appears in a URL), then `Authorization: Bearer` (Node clients,
 * `extraHeaders`), then `?token=` (redacted from request logs like on the ws endpoint).
 */
export function handshakeToken (handshake: Socket['handshake']): string | undefined {
  const fromAuth: unknown = handshake.auth.token
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth
  const fromHeader = bearerToken(handshake.headers.authorization)
  if (fromHeader !== undefined) return fromHeader
  const fromQuery = handshake.query.token
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined
}
