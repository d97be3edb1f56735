import { setTimeout as delay } from 'node:timers/promises'
import { CLOSE_CODES } from '../errors'
import type { Hub } from './hub'

/**
 * Closes every connection with 1001 ("going away", so clients know to reconnect elsewhere), waits
 * up to `timeoutMs` for them to finish the close handshake, then terminates whoever is left.
 */
export async function closeAllConnections (hub: Hub, timeoutMs: number): Promise<void> {
  // A snapshot: closing a connection takes it out of the hub's map.
  for (const connection of [...hub.allConnections()]) connection.close(CLOSE_CODES.SERVER_SHUTDOWN, 'server shutdown')
  const timeout = new AbortController()
  await Promise.race([
    hub.waitUntilEmpty(),
    delay(timeoutMs, undefined, { signal: timeout.signal, ref: false }).catch(() => {})
  ])
  timeout.abort()
  for (const connection of [...hub.allConnections(), ...hub.closingConnections()]) connection.terminate()
}
