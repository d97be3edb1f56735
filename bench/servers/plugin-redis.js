'use strict'
const Fastify = require('fastify')
const realtime = require('../../dist/index.js')
const { SECRET } = require('../lib/jwt')
const { runServer } = require('./harness')

/*
 * SLOT — one node of this plugin over Redis (issue 4), raw WebSocket clients. Pending in
 * bench/targets.js until the redis branch is merged; the option follows DESIGN.md
 * (`redis: url`). Once merged: check the option name against lib/options.ts, remove `pending`
 * from the target. The bench starts two of these on one redis-server (BENCH_REDIS_URL).
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
