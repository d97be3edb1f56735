import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import type { Test } from 'tap'

// From PATH unless the environment names the binaries.
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'
const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli'
const START_TIMEOUT_MS = 10_000

/** Every redis-server this process started and has not reaped, killed if the test process exits early. */
const running = new Set<ChildProcess>()
/**
 * Where the servers of this process keep their files: a replica saves what its master sends it in
 * its working directory, which would otherwise be the repository (a stray dump.rdb).
 */
const WORK_DIR = mkdtempSync(join(tmpdir(), 'fastify-realtime-redis-'))

process.on('exit', () => {
  rmSync(WORK_DIR, { recursive: true, force: true })
  for (const child of running) child.kill('SIGKILL')
})

/**
 * A real `redis-server` process on a free port of 127.0.0.1, with persistence off. Fault tests can
 * kill it (-9), start it again on the same port, and freeze it (SIGSTOP/SIGCONT).
 */
export class RedisServer {
  readonly port: number
  readonly url: string
  private readonly args: string[]
  private readonly clients = new Set<Redis>()
  private child: ChildProcess | undefined

  private readonly readyLine: string

  /** With `sentinelConfig` (a writable file: Sentinel rewrites it), the process is a Sentinel instead. */
  constructor (port: number, extraArgs: string[] = [], sentinelConfig?: string) {
    this.port = port
    this.url = `redis://127.0.0.1:${port}`
    const listen = ['--port', String(port), '--bind', '127.0.0.1']
    this.args = sentinelConfig === undefined
      ? [...listen, '--save', '', '--appendonly', 'no', ...extraArgs]
      : [sentinelConfig, '--sentinel', ...listen, ...extraArgs]
    this.readyLine = sentinelConfig === undefined ? 'Ready to accept connections' : 'Sentinel ID is'
  }

  /** Starts the process and resolves once it answers PING. */
  async start (): Promise<void> {
    const dir = join(WORK_DIR, String(this.port))
    mkdirSync(dir, { recursive: true })
    const child = spawn(REDIS_SERVER, this.args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    child.once('exit', () => running.delete(child))
    this.child = child
    let output = ''
    const collect = (chunk: Buffer): void => { output += chunk.toString() }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on ${this.port} did not start:\n${output}`)), START_TIMEOUT_MS)
      const settle = (err?: Error): void => {
        clearTimeout(timer)
        // Keep draining its output without keeping it: a full pipe would block the server's logging.
        child.stdout?.off('data', collect).off('data', onStdout).resume()
        child.stderr?.off('data', collect).resume()
        if (err === undefined) resolve()
        else reject(err)
      }
      const onStdout = (): void => {
        if (output.includes(this.readyLine)) settle()
      }
      child.stdout?.on('data', onStdout)
      child.once('error', settle)
      child.once('exit', (code) => settle(new Error(`redis-server on ${this.port} exited with ${String(code)}:\n${output}`)))
    })
    await ready
    if (!await answersPing(this.port)) throw new Error(`redis-server on ${this.port} does not answer PING`)
  }

  /** kill -9, resolved once the process is gone (connections drop without a goodbye). */
  async kill (): Promise<void> {
    const child = this.child
    this.child = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  /** kill -9 and start again on the same port (an empty server: persistence is off). */
  async restart (): Promise<void> {
    await this.kill()
    await this.start()
  }

  /** SIGSTOP: the server keeps its connections open but stops answering. */
  pause (): void {
    this.child?.kill('SIGSTOP')
  }

  /** SIGCONT after `pause()`. */
  resume (): void {
    this.child?.kill('SIGCONT')
  }

  /** A plain ioredis connection for the test itself (PUBSUB NUMSUB, CLIENT KILL, …), closed with the server. */
  client (): Redis {
    const client = new Redis(this.port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 1 })
    client.on('error', () => {})
    this.clients.add(client)
    return client
  }

  /** Subscriber count of each channel, as Redis reports it. */
  async numsub (...channels: string[]): Promise<number[]> {
    const reply = await this.command('PUBSUB', 'NUMSUB', ...channels) as Array<string | number>
    return channels.map((_, i) => Number(reply[i * 2 + 1]))
  }

  /** Runs one command on a short-lived admin connection. */
  async command (...args: [string, ...Array<string | number>]): Promise<unknown> {
    const client = this.client()
    try {
      return await client.call(...args)
    } finally {
      this.clients.delete(client)
      client.disconnect()
    }
  }

  async stop (): Promise<void> {
    for (const client of this.clients) client.disconnect()
    this.clients.clear()
    this.resume()
    await this.kill()
  }
}

/** Starts a redis-server on a free port and stops it when the test ends. */
export async function startRedis (t: Test, extraArgs: string[] = []): Promise<RedisServer> {
  const server = new RedisServer(await freePort(), extraArgs)
  t.teardown(() => server.stop())
  await server.start()
  return server
}

/** A master, its replica and one Sentinel watching them, as `startSentinelGroup` made them. */
export interface SentinelGroup {
  readonly master: RedisServer
  readonly replica: RedisServer
  readonly sentinel: RedisServer
  /** ioredis options that find the master through the Sentinel. */
  readonly redisOptions: { sentinels: Array<{ host: string, port: number }>, name: string }
  /** The port of the server the Sentinel currently names as master. */
  masterPort: () => Promise<number>
}

const SENTINEL_MASTER_NAME = 'realtime'

/**
 * A master with one replica and one Sentinel (quorum 1) that declares the master down after 1 s of
 * silence and promotes the replica; resolved once the replica is in sync and the Sentinel knows it.
 */
export async function startSentinelGroup (t: Test): Promise<SentinelGroup> {
  const master = await startRedis(t)
  const replica = await startRedis(t, ['--replicaof', '127.0.0.1', String(master.port)])
  const dir = mkdtempSync(join(tmpdir(), 'fastify-realtime-sentinel-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const config = join(dir, 'sentinel.conf')
  writeFileSync(config, [
    `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 1`,
    `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
    `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
    ''
  ].join('\n'))
  const sentinel = new RedisServer(await freePort(), [], config)
  t.teardown(() => sentinel.stop())
  await sentinel.start()
  await until(async () => String(await replica.command('INFO', 'replication')).includes('master_link_status:up'), 'the replica never synced')
  await until(async () => JSON.stringify(await sentinel.command('SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME)).includes(String(replica.port)), 'the Sentinel never saw the replica')
  return {
    master,
    replica,
    sentinel,
    redisOptions: { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: SENTINEL_MASTER_NAME },
    masterPort: async () => {
      const [, port] = await sentinel.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME) as [string, string]
      return Number(port)
    }
  }
}

/** Asks until `condition` holds (no event announces these states), boundedly. */
async function until (condition: () => Promise<boolean>, failure: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(failure)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * A local Redis Cluster of three masters, each with `replicas` replicas (none by default), made with
 * `redis-cli --cluster create`, resolved once every node reports `cluster_state:ok` and every
 * replica is in sync.
 */
export async function startRedisCluster (t: Test, masters = 3, replicas = 0): Promise<RedisServer[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-realtime-cluster-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const nodes: RedisServer[] = []
  for (let i = 0; i < masters * (1 + replicas); i++) {
    // Each node also listens on port + 10000 for the cluster bus.
    const port = await freePort(async (candidate) => candidate + 10_000 < 65_536 && await isFree(candidate + 10_000))
    const node = new RedisServer(port, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--cluster-node-timeout', '2000'])
    t.teardown(() => node.stop())
    await node.start()
    nodes.push(node)
  }
  const created = spawnSync(REDIS_CLI, ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 })
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}${created.stderr}`)
  // No event announces that every node agrees on the slot map, or that a replica caught up.
  for (const node of nodes) {
    await until(async () => String(await node.command('CLUSTER', 'INFO')).includes('cluster_state:ok'), `cluster node ${node.port} never reached cluster_state:ok`)
    await until(async () => {
      const replication = String(await node.command('INFO', 'replication'))
      return replication.includes('role:master') || replication.includes('master_link_status:up')
    }, `cluster replica ${node.port} never synced`)
  }
  return nodes
}

/** A TCP port nothing listens on right now (the OS picks it). */
export async function freePort (accept: (port: number) => boolean | Promise<boolean> = () => true): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0)
    if (port !== undefined && await accept(port)) return port
  }
  throw new Error('no acceptable free port found')
}

async function isFree (port: number): Promise<boolean> {
  return await listenOnce(port) === port
}

/** Binds 127.0.0.1:port (0: any), closes again, and says which port it got; undefined if taken. */
async function listenOnce (port: number): Promise<number | undefined> {
  const server = createServer()
  try {
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
  } catch {
    return undefined
  }
  const address = server.address()
  server.close()
  await once(server, 'close')
  return address !== null && typeof address === 'object' ? address.port : undefined
}

async function answersPing (port: number): Promise<boolean> {
  const socket = tcpConnect(port, '127.0.0.1')
  try {
    await once(socket, 'connect')
    socket.write('PING\r\n')
    const [reply] = await once(socket, 'data') as [Buffer]
    return reply.toString().startsWith('+PONG')
  } finally {
    socket.destroy()
  }
}
