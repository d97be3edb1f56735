'use strict'
const http = require('node:http')
const { WebSocketServer } = require('ws')
const { createTokenVerifier } = require('../lib/jwt')
const { runServer, LISTEN_BACKLOG } = require('./harness')

/*
 * Baseline: a bare `ws` server as its users write it — JWT checked on the upgrade request, rooms
 * in a Map of Sets, the heartbeat from the ws README, and the usual fan-out loop:
 * `for (const c of clients) c.send(JSON.stringify(msg))`.
 */

const HEARTBEAT_MS = 25_000
const BEARER = /^Bearer (.+)$/

runServer(async () => {
  const verify = createTokenVerifier()
  const rooms = new Map()
  const wss = new WebSocketServer({ noServer: true })
  const server = http.createServer((request, response) => response.writeHead(426).end())

  server.on('upgrade', (request, socket, head) => {
    let claims
    try {
      claims = verify(BEARER.exec(request.headers.authorization ?? '')?.[1] ?? '')
    } catch {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.isAlive = true
      ws.room = claims.room
      let members = rooms.get(ws.room)
      if (members === undefined) rooms.set(ws.room, (members = new Set()))
      members.add(ws)
      ws.on('pong', heartbeat)
      ws.on('error', () => ws.terminate())
      ws.on('close', () => {
        members.delete(ws)
        if (members.size === 0) rooms.delete(ws.room)
      })
    })
  })

  const interval = setInterval(() => {
    for (const ws of wss.clients) {
      if (!ws.isAlive) {
        ws.terminate()
        continue
      }
      ws.isAlive = false
      ws.ping()
    }
  }, HEARTBEAT_MS)

  await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, resolve))
  return {
    port: server.address().port,
    emit (room, data) {
      const clients = rooms.get(room)
      if (clients === undefined) return
      const msg = { type: 'event', event: 'tick', room, data }
      for (const c of clients) c.send(JSON.stringify(msg))
    },
    async close () {
      clearInterval(interval)
      for (const ws of wss.clients) ws.terminate()
      await new Promise((resolve) => server.close(resolve))
    }
  }
})

function heartbeat () {
  this.isAlive = true
}
