'use strict'
const Fastify = require('fastify')
const realtime = require('../../dist/index.js')
const { SECRET } = require('../lib/jwt')
const { runServer, LISTEN_BACKLOG } = require('./harness')

/**
 * Runs this plugin as an app would configure it: JWT verified before the upgrade, the per-IP
 * handshake throttle on (with a budget one bench IP cannot exhaust), the client auto-joined to the
 * room its token names, and emits through `app.realtime.to(room).emit`. `options` picks the
 * endpoint and the bus.
 */
function runPluginServer (options) {
  runServer(async () => {
    const app = Fastify({ logger: false })
    await app.register(realtime, {
      jwt: { secret: SECRET },
      connectionRateLimit: { max: 1_000_000_000, timeWindow: 60_000 },
      autoJoin: (user) => [user.room],
      ...options
    })
    await app.listen({ host: '127.0.0.1', port: 0, backlog: LISTEN_BACKLOG })
    return {
      port: app.server.address().port,
      emit (room, data) {
        app.realtime.to(room).emit('tick', data)
      },
      close: () => app.close()
    }
  })
}

module.exports = { runPluginServer }
