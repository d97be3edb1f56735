'use strict'
const { runPluginServer } = require('./plugin-app')

// One node of this plugin over Redis, raw WebSocket clients. The bench starts two of these on one
// redis-server (BENCH_REDIS_URL).
runPluginServer({ ws: { path: '/ws' }, redis: process.env.BENCH_REDIS_URL })
