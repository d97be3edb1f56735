'use strict'
const http = require('node:http')
const { Server } = require('socket.io')
const { createTokenVerifier } = require('../lib/jwt')
const { runServer, LISTEN_BACKLOG } = require('./harness')

/**
 * A plain Socket.IO server as its users write it — JWT checked in a namespace middleware, the
 * client joined to the room its token names, `io.to(room).emit`. `serverOptions` go to the
 * Server; `attachAdapter(io)`, when given, puts it in a cluster and resolves with a function that
 * closes what it opened.
 */
function runSocketIoServer ({ serverOptions = {}, attachAdapter } = {}) {
  runServer(async () => {
    const verify = createTokenVerifier()
    const server = http.createServer()
    const io = new Server(server, { serveClient: false, ...serverOptions })
    const closeAdapter = attachAdapter === undefined ? async () => {} : await attachAdapter(io)

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
        await closeAdapter()
      }
    }
  })
}

module.exports = { runSocketIoServer }
