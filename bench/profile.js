'use strict'
const fs = require('node:fs')
const path = require('node:path')

/*
 * Summarises V8 CPU profiles written by `node bench/run.js --profile`: self time per function,
 * heaviest first. `node bench/profile.js [file.cpuprofile …]` (default: the newest profile of
 * every target in bench/results/tmp/profiles/).
 */

const PROFILE_DIR = path.join(__dirname, 'results', 'tmp', 'profiles')
const TOP = 25

function newestPerTarget () {
  const newest = new Map()
  for (const name of fs.readdirSync(PROFILE_DIR).filter((n) => n.endsWith('.cpuprofile')).sort()) {
    newest.set(name.replace(/-\d+\.cpuprofile$/, ''), path.join(PROFILE_DIR, name))
  }
  return [...newest.values()]
}

function summarise (file) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfMicros = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i])
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(lib|bench|dist)\//, '$1/')}:${lineNumber + 1}`
    selfMicros.set(key, (selfMicros.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const idle = new Set(['(idle) :0', '(program) :0', '(garbage collector) :0'])
  const total = [...selfMicros.entries()].filter(([key]) => !idle.has(key)).reduce((sum, [, us]) => sum + us, 0)
  console.log(`\n${path.basename(file)}: ${(total / 1000).toFixed(0)} ms busy`)
  for (const [key, us] of [...selfMicros.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${(100 * us / total).toFixed(1).padStart(5)}%  ${key}`)
  }
}

const files = process.argv.length > 2 ? process.argv.slice(2) : newestPerTarget()
for (const file of files) summarise(file)
