import type { Socket } from 'socket.io'
import { bearerToken, tokenValue, type PresentedToken } from '../../auth/token'

/**
 * Finds the token of a Socket.IO client: `auth: { token }` (what socket.io-client sends with the
 * namespace connection, so it never appears in a URL), then `Authorization: Bearer` (Node clients,
 * `extraHeaders`), then `?token=` (redacted from request logs like on the ws endpoint).
 */
export function handshakeToken (handshake: Socket['handshake']): PresentedToken {
  const fromAuth = tokenValue(handshake.auth.token)
  if (fromAuth !== undefined) return fromAuth
  const fromHeader = bearerToken(handshake.headers.authorization)
  if (fromHeader !== undefined) return fromHeader
  return tokenValue(handshake.query.token)
}
