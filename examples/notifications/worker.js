'use strict'
// Consumes the notification queue and delivers each notification to its user on whichever node
// they are connected to, through Redis with the emitter. Stops cleanly on SIGTERM / SIGINT.
const Redis = require('ioredis')
const { createEmitter } = require('fastify-realtime/emitter')
const { QUEUE } = require('./server')

const POLL_SECONDS = 1

async function main () {
  if (!process.env.REDIS_URL) throw new Error('set REDIS_URL to the Redis the servers use')
  const queue = new Redis(process.env.REDIS_URL)
  const emitter = createEmitter({ redis: process.env.REDIS_URL })
  let running = true
  const stop = () => { running = false }
  process.once('SIGTERM', stop).once('SIGINT', stop)
  console.log('notification worker ready')

  // `stop` (a signal handler) ends the loop.
  // eslint-disable-next-line no-unmodified-loop-condition
  while (running) {
    // Blocks at most POLL_SECONDS, so a stop request is noticed soon.
    const item = await queue.brpop(QUEUE, POLL_SECONDS)
    if (item === null) continue
    const { userId, text } = JSON.parse(item[1])
    const delivered = await emitter.toUser(userId).emit('notification:new', { text, at: Date.now() })
    if (!delivered) console.error(`notification for ${userId} not published (Redis unavailable)`)
  }
  await emitter.close()
  await queue.quit()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
