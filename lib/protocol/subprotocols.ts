/** The subprotocol the raw WebSocket endpoint speaks; the server selects it when the client offers it. */
export const WS_SUBPROTOCOL = 'realtime.v1'

/**
 * A browser cannot set headers on a WebSocket, so it may carry the token as a subprotocol:
 * `new WebSocket(url, ['realtime.v1', 'bearer.' + token])`. JWT characters are all valid there.
 */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.'
