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

module.exports = { startRedis }
