'use strict'
const Fastify = require('fastify')
const realtime = require('../../dist/index.js')
const { SECRET } = require('../lib/jwt')
const { runServer } = require('./harness')

/*
 * One node of this plugin over Redis (`redis: url`), raw WebSocket clients; otherwise configured as
 * plugin-ws.js. The bench starts two of these on one redis-server (BENCH_REDIS_URL).
 */

runServer(async () => {
  const app = Fastify({ logger: false })
  await app.register(realtime, {
    jwt: { secret: SECRET },
    redis: process.env.BENCH_REDIS_URL,
    ws: { path: '/ws' },
    connectionRateLimit: { max: 1_000_000_000, timeWindow: 60_000 },
    autoJoin: (user) => [user.room]
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    port: app.server.address().port,
    emit (room, data) {
      app.realtime.to(room).emit('tick', data)
    },
    close: () => app.close()
  }
})
