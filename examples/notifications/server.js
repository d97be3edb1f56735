'use strict'
// User notifications. Each client is in its own `user:{id}` room (the plugin joins it, and refuses
// anyone else's), so a notification sent with `toUser(id)` reaches that user's tabs and devices only.
// The app does not send them itself: it queues them in Redis, and worker.js delivers them.
const Fastify = require('fastify')
const Redis = require('ioredis')
const realtime = require('fastify-realtime')

const QUEUE = 'notifications:queue'

async function start ({ port = 3000, host = '127.0.0.1', redis, secret = 'notifications-example-secret-change-me', logLevel = 'info' } = {}) {
  if (!redis) throw new Error('the notifications example needs Redis: set REDIS_URL')
  const app = Fastify({ logger: { level: logLevel } })
  await app.register(realtime, { jwt: { secret }, redis })

  const queue = new Redis(redis)
  app.addHook('onClose', async () => { await queue.quit() })

  // What the rest of the app does when something happens to a user: queue it and move on.
  app.post('/users/:id/notifications', {
    schema: { body: { type: 'object', required: ['text'], properties: { text: { type: 'string', maxLength: 500 } } } }
  }, async (request, reply) => {
    await queue.lpush(QUEUE, JSON.stringify({ userId: request.params.id, text: request.body.text }))
    return reply.code(202).send({ queued: true })
  })

  const address = await app.listen({ host, port })
  return { app, address }
}

module.exports = { start, QUEUE }

if (require.main === module) {
  start({ port: Number(process.env.PORT ?? 3000), redis: process.env.REDIS_URL, secret: process.env.JWT_SECRET, logLevel: process.env.LOG_LEVEL }).then(({ app, address }) => {
    console.log(`notifications on ${address}`)
    for (const user of ['alice', 'bob']) console.log(`token for ${user} (1 h): ${app.jwt.sign({ sub: user }, { expiresIn: '1h' })}`)
  }, (err) => {
    console.error(err)
    process.exit(1)
  })
}
