'use strict'
const { runPluginServer } = require('./plugin-app')

// One node of this plugin over Redis with `recovery: true` (per-room history in Redis, resume after
// a reconnect; its defaults), raw WebSocket clients. The bench starts two of these on one
// redis-server (BENCH_REDIS_URL). Events of rooms with history carry their `position`.
runPluginServer({ ws: { path: '/ws' }, redis: process.env.BENCH_REDIS_URL, recovery: true })
