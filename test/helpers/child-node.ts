import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'
import { SECRET } from './app'

export interface ChildNode {
  readonly process: ChildProcess
  readonly nodeId: string
  /** ws://127.0.0.1:port/ws */
  readonly wsUrl: string
  /** A token for user 'child', signed by the child. */
  readonly token: string
}

/**
 * A node running in its own process on the built package (test/fixtures/redis-node.js), so a test
 * can kill -9 or freeze it. Killed when the test ends.
 */
export async function startChildNode (t: Test, redisUrl: string, env: Record<string, string> = {}): Promise<ChildNode> {
  const child = spawn(process.execPath, [resolve(__dirname, '..', 'fixtures', 'redis-node.js')], {
    env: { ...process.env, REDIS_URL: redisUrl, JWT_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const [line] = await Promise.race([
    once(lines, 'line') as Promise<[string]>,
    once(child, 'exit').then(([code]) => { throw new Error(`child node exited with ${String(code)}`) })
  ])
  const { port, nodeId, token } = JSON.parse(line) as { port: number, nodeId: string, token: string }
  return { process: child, nodeId, wsUrl: `ws://127.0.0.1:${port}/ws`, token }
}
