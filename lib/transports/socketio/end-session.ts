import type { Socket as EngineSocket } from 'engine.io'

/** engine.io keeps packets it could not write yet (a polling client between two polls) here. */
interface EngineSocketInternals {
  writeBuffer: unknown[]
}

/**
 * Closes an engine.io session once everything queued for it has been written. engine.io's own
 * `close()` would, for a polling client that is between two polls, wait up to 30 s for the next
 * poll to carry a close packet: a timer that outlives the session and holds up the process exit
 * after `app.close()`. Discarding the transport once the last packets are out closes at once;
 * socket.io-client closes its side as soon as it reads the DISCONNECT or CONNECT_ERROR packet.
 */
export function endSessionWhenWritten (conn: EngineSocket): void {
  if ((conn as unknown as EngineSocketInternals).writeBuffer.length === 0) conn.close(true)
  else conn.once('drain', () => conn.close(true))
}
