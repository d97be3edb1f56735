import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { FastifyInstance } from 'fastify'
import type { Socket as EngineSocket } from 'engine.io'
import { ioServer } from './socketio-client'

setFlagsFromString('--expose-gc')
// A context made after the flag has `gc`: a full collection, so heap numbers measure what is kept.
const collect = runInNewContext('gc') as () => void

/** The heap in use after a full collection, in bytes. */
export function heapAfterGc (): number {
  collect()
  collect()
  return process.memoryUsage().heapUsed
}

/** The engine.io session `sid` of the app's Socket.IO server, if it is still open. */
export function engineSession (app: FastifyInstance, sid: string): EngineSocket | undefined {
  const clients = (ioServer(app).engine as unknown as { clients: Record<string, EngineSocket> }).clients
  return Object.hasOwn(clients, sid) ? clients[sid] : undefined
}

/** Packets engine.io holds for a session that it has not handed to a transport yet. */
export function queuedPackets (app: FastifyInstance, sid: string): number {
  const session = engineSession(app, sid) as unknown as { writeBuffer?: unknown[] } | undefined
  return session?.writeBuffer?.length ?? 0
}

/** Resolves once the session is closed (at once if it is already), or rejects after `timeoutMs`. */
export async function sessionClosed (app: FastifyInstance, sid: string, timeoutMs = 5_000): Promise<void> {
  const session = engineSession(app, sid)
  if (session === undefined || session.readyState === 'closed') return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session ${sid} still open after ${timeoutMs} ms`)), timeoutMs)
    session.once('close', () => { clearTimeout(timer); resolve() })
  })
}

/** `count` engine.io packets in one polling payload. */
export function payload (packet: string, count: number): string {
  return Array(count).fill(packet).join('\x1e')
}
