'use strict'
const { once } = require('node:events')
const { createAdapter } = require('@socket.io/redis-streams-adapter')
const Redis = require('ioredis')
const { runSocketIoServer } = require('./socketio-app')

/*
 * Baseline for delivery guarantees (issue 15): one node of a Socket.IO cluster over
 * @socket.io/redis-streams-adapter with connection state recovery on — its documented setup:
 * `createAdapter(redisClient)` with one ioredis client (the adapter duplicates it for its stream
 * reads and its pub/sub) and `connectionStateRecovery: {}` on the Server. Every broadcast is an
 * XADD to one stream that every node reads; the stream's entry id rides on each event as its
 * offset, and a client that comes back within maxDisconnectionDuration (default 2 min) with its
 * `pid` and last offset gets its rooms back and the events it missed, read from the stream.
 * Socket.IO's default `skipMiddlewares: true` is kept, as its users run it: a recovered session
 * skips io.use, so its JWT is not checked again (its rooms and `socket.data` come from the session).
 */

const redisUrl = process.env.BENCH_REDIS_URL
if (redisUrl === undefined) throw new Error('socketio-streams needs BENCH_REDIS_URL')

runSocketIoServer({
  serverOptions: { connectionStateRecovery: {} },
  attachAdapter: async (io) => {
    const redisClient = new Redis(redisUrl)
    await once(redisClient, 'ready')
    io.adapter(createAdapter(redisClient))
    // io.close() closes the adapter, which ends its own clients once their blocking XREAD returns.
    return () => redisClient.quit()
  }
})
