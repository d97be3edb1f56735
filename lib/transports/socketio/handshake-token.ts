import type { Socket } from 'socket.io'
import { oneCredential } from '../../auth/presented-token'
import { queryToken } from '../../auth/query-token'
import { authorizationToken, tokenValue, type PresentedToken } from '../../auth/token'

/**
 * Finds the token of a Socket.IO client: `auth: { token }` (what socket.io-client sends with the
 * namespace connection, so it never appears in a URL), `Authorization: Bearer` (Node clients,
 * `extraHeaders`) or `?token=` (redacted from request logs like on the ws endpoint). The query is
 * read from the handshake's raw URL by the same function as on /ws, never from engine.io's parse
 * (where the last of two values wins), so both transports decide alike; two different tokens in
 * two places are malformed.
 */
export function handshakeToken (socket: Socket): PresentedToken {
  const { handshake } = socket
  return oneCredential([
    tokenValue(handshake.auth.token),
    // From the raw headers: two Authorization headers are malformed (see authorizationToken).
    authorizationToken(socket.request.rawHeaders),
    queryToken(handshake.url)
  ])
}
