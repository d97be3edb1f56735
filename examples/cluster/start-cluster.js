'use strict'
// Starts two nodes as separate processes over one Redis, on PORT and PORT + 1 (default 3001 and
// 3002); Ctrl-C stops both.
const { spawn } = require('node:child_process')
const path = require('node:path')

if (!process.env.REDIS_URL) {
  console.error('set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379 node examples/cluster/start-cluster.js')
  process.exit(1)
}

const basePort = Number(process.env.PORT ?? 3001)
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65534) {
  console.error(`PORT must be a port number below 65535 (the second node takes PORT + 1), not ${process.env.PORT}`)
  process.exit(1)
}

const nodes = [['node-a', basePort], ['node-b', basePort + 1]].map(([name, port]) => spawn(process.execPath, [path.join(__dirname, 'node.js')], {
  env: { ...process.env, NODE_NAME: name, PORT: String(port), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  stdio: 'inherit'
}))

const stop = () => { for (const node of nodes) node.kill('SIGTERM') }
process.once('SIGINT', stop).once('SIGTERM', stop)
for (const node of nodes) node.once('exit', (code) => { if (code !== 0 && code !== null) stop() })
