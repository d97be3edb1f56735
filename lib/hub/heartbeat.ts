import type { Hub } from './hub'

/**
 * One timer for every connection: each tick asks every connection to check in (ws sends a ping and
 * terminates a peer that did not answer the previous one). A timer per connection would cost memory
 * and timer-wheel work per client.
 */
export function startHeartbeat (hub: Hub, intervalMs: number): () => void {
  const timer = setInterval(() => {
    for (const connection of hub.allConnections()) connection.onHeartbeat()
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
