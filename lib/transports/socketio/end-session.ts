import type { Socket as EngineSocket } from 'engine.io'
import { markSessionClosing, queuedPacketCount } from '../../internals/engine-io'

/**
 * How long what is queued for a session the server ends may take to reach its client. A polling
 * client has its next poll waiting, a WebSocket client is writable at once: their last packets go
 * out within a turn or two. A client that never polls (or has stopped reading) would never take
 * them, and must not keep its session.
 */
const END_SESSION_GRACE_MS = 1_000

/**
 * Ends an engine.io session once everything queued for it has been written, or after a short grace
 * at the latest. From now on engine.io ignores whatever the client sends (a CONNECT to start over
 * on the same session, events) and queues nothing more: `readyState` 'closing' is the state
 * engine.io's own `close()` enters, but its `close()` would, for a polling client between two
 * polls, wait up to 30 s for the next poll to carry a close packet (a timer that outlives the
 * session and holds up the process exit after `app.close()`), and forever for the queue to drain
 * when the client never polls. Discarding the transport closes at once; socket.io-client closes
 * its side as soon as it reads the DISCONNECT or CONNECT_ERROR packet.
 */
export function endSessionWhenWritten (conn: EngineSocket): void {
  if (conn.readyState !== 'open') {
    // Already closing (engine.io's own close, or an earlier call): only make sure it ends.
    if (conn.readyState === 'closing') setTimeout(endSessionNow, END_SESSION_GRACE_MS, conn).unref()
    return
  }
  if (queuedPacketCount(conn) === 0) {
    conn.close(true)
    return
  }
  markSessionClosing(conn)
  // Both are made only when a session ends: no cost to idle sessions.
  const grace = setTimeout(endSessionNow, END_SESSION_GRACE_MS, conn)
  grace.unref()
  conn.once('drain', () => {
    clearTimeout(grace)
    endSessionNow(conn)
  })
}

function endSessionNow (conn: EngineSocket): void {
  // close(true) acts on an open or closing session, and does nothing once it is closed.
  conn.close(true)
}
