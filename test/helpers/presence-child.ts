import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'
import { SECRET } from './app'

export interface PresenceChild {
  readonly process: ChildProcess
  readonly nodeId: string
  /** ws://127.0.0.1:port/ws */
  readonly wsUrl: string
  readonly httpUrl: string
}

/**
 * A presence node (test/fixtures/presence-node.ts) in its own process, run from lib/ with the test
 * runner's own TypeScript loader (so no build is needed), for a test to kill -9. Tokens signed with
 * SECRET are valid there. Killed when the test ends.
 */
export async function startPresenceChild (t: Test, redisUrl: string, heartbeatInterval: number): Promise<PresenceChild> {
  const loaders = process.execArgv.filter((arg) => arg.startsWith('--import=') && arg.includes('typescript'))
  const child = spawn(process.execPath, [...loaders, resolve(__dirname, '..', 'fixtures', 'presence-node.ts')], {
    env: { ...process.env, REDIS_URL: redisUrl, JWT_SECRET: SECRET, HEARTBEAT_INTERVAL: String(heartbeatInterval) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const [line] = await Promise.race([
    once(lines, 'line') as Promise<[string]>,
    once(child, 'exit').then(([code]) => { throw new Error(`presence node exited with ${String(code)}`) })
  ])
  const { port, nodeId } = JSON.parse(line) as { port: number, nodeId: string }
  return { process: child, nodeId, wsUrl: `ws://127.0.0.1:${port}/ws`, httpUrl: `http://127.0.0.1:${port}` }
}
