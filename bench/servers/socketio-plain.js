'use strict'
const { once } = require('node:events')
const { createAdapter } = require('@socket.io/redis-adapter')
const Redis = require('ioredis')
const { runSocketIoServer } = require('./socketio-app')

/*
 * Baseline: a plain Socket.IO server (socketio-app.js). With BENCH_REDIS_URL set it is one node of
 * a cluster over @socket.io/redis-adapter (its documented setup with ioredis).
 */

const redisUrl = process.env.BENCH_REDIS_URL

runSocketIoServer({
  attachAdapter: redisUrl === undefined
    ? undefined
    : async (io) => {
      const pubClient = new Redis(redisUrl)
      const subClient = pubClient.duplicate()
      await Promise.all([pubClient, subClient].map((client) => once(client, 'ready')))
      io.adapter(createAdapter(pubClient, subClient))
      return () => Promise.all([pubClient, subClient].map((client) => client.quit()))
    }
})
