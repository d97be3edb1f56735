'use strict'
// One node of the cluster. Nodes sharing a Redis (and `redisPrefix`) share rooms: an emit on any
// node reaches members on every node, and `count()` counts every node's connections.
const Fastify = require('fastify')
const realtime = require('fastify-realtime')

async function start ({ port = 3001, host = '127.0.0.1', redis, name = `node-${port}`, secret = 'cluster-example-secret-change-me', logLevel = 'info' } = {}) {
  if (!redis) throw new Error('a cluster needs Redis: set REDIS_URL')
  const app = Fastify({ logger: { level: logLevel } })
  // The secret must be the same on every node: a token signed by one is verified by the others.
  await app.register(realtime, { jwt: { secret }, redis })

  app.post('/rooms/:room/messages', async (request) => {
    const delivered = await app.realtime.to(request.params.room).emit('message', { text: request.body?.text, via: name })
    return { delivered }
  })
  app.get('/stats', async () => ({
    node: name,
    clusterConnections: await app.realtime.count(),
    clusterUsers: await app.realtime.connectedUsers(),
    bus: app.realtime.busStatus()
  }))

  const address = await app.listen({ host, port })
  return { app, address }
}

module.exports = { start }

if (require.main === module) {
  const port = Number(process.env.PORT ?? 3001)
  start({ port, redis: process.env.REDIS_URL, name: process.env.NODE_NAME, secret: process.env.JWT_SECRET, logLevel: process.env.LOG_LEVEL }).then(({ app, address }) => {
    console.log(`${process.env.NODE_NAME ?? `node-${port}`} on ${address}; token for user-${port} (1 h): ${app.jwt.sign({ sub: `user-${port}` }, { expiresIn: '1h' })}`)
  }, (err) => {
    console.error(err)
    process.exit(1)
  })
}
