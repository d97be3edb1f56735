'use strict'
const Fastify = require('fastify')
const realtime = require('../../dist/index.js')
const { SECRET } = require('../lib/jwt')
const { runServer } = require('./harness')

/*
 * This plugin's Socket.IO namespace, configured as an app would (`socketio: { path, namespace }`,
 * the raw endpoint off): JWT verified before the upgrade, the per-IP handshake throttle on, the
 * client auto-joined to the room its token names. The load generator speaks engine.io v4 over
 * WebSocket, sends `40{"token":…}` and waits for the plugin's `welcome` event before counting.
 */

runServer(async () => {
  const app = Fastify({ logger: false })
  await app.register(realtime, {
    jwt: { secret: SECRET },
    ws: false,
    socketio: { path: '/socket.io', namespace: '/' },
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
