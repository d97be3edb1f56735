'use strict'
// Starts two nodes on ports 3001 and 3002 as separate processes over one Redis; Ctrl-C stops both.
const { spawn } = require('node:child_process')
const path = require('node:path')

if (!process.env.REDIS_URL) {
  console.error('set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379 node examples/cluster/start-cluster.js')
  process.exit(1)
}

const nodes = [['node-a', 3001], ['node-b', 3002]].map(([name, port]) => spawn(process.execPath, [path.join(__dirname, 'node.js')], {
  env: { ...process.env, NODE_NAME: name, PORT: String(port), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  stdio: 'inherit'
}))

const stop = () => { for (const node of nodes) node.kill('SIGTERM') }
process.once('SIGINT', stop).once('SIGTERM', stop)
for (const node of nodes) node.once('exit', (code) => { if (code !== 0 && code !== null) stop() })
