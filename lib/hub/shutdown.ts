import { CLOSE_CODES } from '../errors'
import { settleWithin } from '../settle-within'
import type { Hub } from './hub'

/**
 * Closes every connection with 1001 ("going away", so clients know to reconnect elsewhere), waits
 * up to `timeoutMs` for them to finish the close handshake, then terminates whoever is left.
 */
export async function closeAllConnections (hub: Hub, timeoutMs: number): Promise<void> {
  // A snapshot: closing a connection takes it out of the hub's map.
  for (const connection of [...hub.allConnections()]) connection.close(CLOSE_CODES.SERVER_SHUTDOWN, 'server shutdown')
  await settleWithin(hub.waitUntilEmpty(), timeoutMs)
  for (const connection of [...hub.allConnections(), ...hub.closingConnections()]) connection.terminate()
}
