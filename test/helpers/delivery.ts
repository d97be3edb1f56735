import type { BroadcastOperator } from '../../lib'
import type { TestClient } from './ws-client'

const PROBE_EVENT = 'probe'

/**
 * Emits a probe to `target` (a selection such as `app.realtime.to(room)`) every `intervalMs` until `to` receives one (bounded to `attempts`
 * probes), and resolves with how long that took: the time until cross-node delivery works again.
 */
export async function timeUntilDelivered (target: BroadcastOperator, to: TestClient, { intervalMs = 25, attempts = 200 } = {}): Promise<number> {
  const started = Date.now()
  for (let attempt = 0; attempt < attempts; attempt++) {
    await target.emit(PROBE_EVENT, attempt)
    try {
      await to.nextWhere((frame) => frame.type === 'event' && frame.event === PROBE_EVENT, intervalMs)
      return Date.now() - started
    } catch {
      // Not through yet; probe again.
    }
  }
  throw new Error('cross-node delivery never resumed')
}
