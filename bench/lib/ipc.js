'use strict'

/**
 * The child half of lib/child.js: answers `{ id, cmd, args }` messages with `{ id, result }` or
 * `{ id, error }`. The child exits when the bench process goes away, so no process outlives a run.
 */
function serveCommands (handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    const handler = handlers[cmd]
    try {
      if (handler === undefined) throw new Error(`unknown command ${cmd}`)
      process.send({ id, result: await handler(args) })
    } catch (err) {
      process.send({ id, error: err instanceof Error ? err.stack : String(err) })
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.on('SIGTERM', () => process.exit(0))
}

function announceReady (info) {
  process.send({ type: 'ready', info })
}

module.exports = { serveCommands, announceReady }
