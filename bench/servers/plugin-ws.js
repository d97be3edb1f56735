'use strict'
const Fastify = require('fastify')
const realtime = require('../../dist/index.js')
const { SECRET } = require('../lib/jwt')
const { runServer } = require('./harness')

/*
 * This plugin's raw WebSocket endpoint, configured as an app would: JWT verified before the
 * upgrade, the per-IP handshake throttle on (with a budget one bench IP cannot exhaust), the
 * client auto-joined to the room its token names, `app.realtime.to(room).emit`.
 */

runServer(async () => {
  const app = Fastify({ logger: false })
  await app.register(realtime, {
    jwt: { secret: SECRET },
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
