import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import t from 'tap'

const root = resolve(__dirname, '..')

t.test('require() returns the plugin, with default and named exports on it', async (t) => {
  const output = execFileSync(process.execPath, ['-e', `
    const realtime = require('fastify-realtime')
    console.log(typeof realtime, realtime.default === realtime, realtime.fastifyRealtime === realtime, typeof realtime.MemoryBroker)
  `], { cwd: root, encoding: 'utf8' })
  t.equal(output.trim(), 'function true true function')
})

t.test('import default and named exports from ESM', async (t) => {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', `
    import realtime, { fastifyRealtime, RealtimeError } from 'fastify-realtime'
    console.log(typeof realtime, realtime === fastifyRealtime, typeof RealtimeError)
  `], { cwd: root, encoding: 'utf8' })
  t.equal(output.trim(), 'function true function')
})
