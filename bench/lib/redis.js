'use strict'
const { spawn } = require('node:child_process')
const net = require('node:net')
const { raisePriority } = require('./priority')

const START_TIMEOUT_MS = 10_000

/** A port that was free a moment ago on 127.0.0.1. */
function freePort () {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Starts a throwaway redis-server on a free 127.0.0.1 port: no persistence, and no output-buffer
 * limit for pub/sub clients, so a subscriber that falls behind in a burst is not cut off by Redis.
 */
async function startRedis () {
  const port = await freePort()
  const child = spawn(process.env.REDIS_SERVER ?? 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--client-output-buffer-limit', 'pubsub 0 0 0'
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  if (child.pid !== undefined) raisePriority(child.pid)
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), START_TIMEOUT_MS)
    let output = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
    const onOutput = (chunk) => {
      output += chunk
      if (!output.includes('Ready to accept connections')) return
      clearTimeout(timer)
      child.stdout.off('data', onOutput)
      child.stdout.resume()
      resolve()
    }
    child.stdout.on('data', onOutput)
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', resolve)
      child.kill('SIGTERM')
    })
  }
}

/**
 * Reads what the bench's redis-server did, for the Redis cost per emit: `snapshot()` resolves with
 * how many times each command ran (INFO commandstats: the commands a Lua script runs are counted
 * one by one, besides the script call) and the CPU time the server has used (INFO cpu, user +
 * system, µs); `between(before, after)` with the differences. INFO itself (these snapshots, and
 * ioredis's ready check) is left out.
 */
function redisCounter (url) {
  // Required here: the bench's one-node runs need no Redis client at all.
  const Redis = require('ioredis')
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  const field = (info, name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN)
  return {
    async snapshot () {
      if (client.status === 'wait') await client.connect()
      const [stats, cpu] = await Promise.all([client.info('commandstats'), client.info('cpu')])
      const calls = {}
      for (const line of stats.split('\r\n')) {
        const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line)
        if (match !== null && match[1] !== 'info') calls[match[1]] = Number(match[2])
      }
      return { calls, cpuUs: (field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys')) * 1e6 }
    },
    between (before, after) {
      const calls = {}
      for (const [command, count] of Object.entries(after.calls)) {
        const delta = count - (before.calls[command] ?? 0)
        if (delta > 0) calls[command] = delta
      }
      return { calls, cpuUs: after.cpuUs - before.cpuUs }
    },
    close: () => client.quit().catch(() => client.disconnect())
  }
}

module.exports = { startRedis, redisCounter }
