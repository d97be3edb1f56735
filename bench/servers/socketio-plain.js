'use strict'
const http = require('node:http')
const { once } = require('node:events')
const { Server } = require('socket.io')
const { createAdapter } = require('@socket.io/redis-adapter')
const Redis = require('ioredis')
const { createTokenVerifier } = require('../lib/jwt')
const { runServer, LISTEN_BACKLOG } = require('./harness')

/*
 * Baseline: a plain Socket.IO server — JWT checked in a namespace middleware, the client joined to
 * the room its token names, `io.to(room).emit`. With BENCH_REDIS_URL set it is one node of a
 * cluster over @socket.io/redis-adapter (its documented setup with ioredis).
 */

runServer(async () => {
  const verify = createTokenVerifier()
  const server = http.createServer()
  const io = new Server(server, { serveClient: false })
  const redisClients = []
  if (process.env.BENCH_REDIS_URL !== undefined) {
    const pubClient = new Redis(process.env.BENCH_REDIS_URL)
    const subClient = pubClient.duplicate()
    redisClients.push(pubClient, subClient)
    await Promise.all(redisClients.map((client) => once(client, 'ready')))
    io.adapter(createAdapter(pubClient, subClient))
  }

  io.use((socket, next) => {
    try {
      socket.data.room = verify(socket.handshake.auth.token).room
      next()
    } catch {
      next(new Error('unauthorized'))
    }
  })
  io.on('connection', (socket) => socket.join(socket.data.room))

  await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, resolve))
  return {
    port: server.address().port,
    emit (room, data) {
      io.to(room).emit('tick', data)
    },
    async close () {
      await io.close()
      await Promise.all(redisClients.map((client) => client.quit()))
    }
  }
})
