'use strict'
const { runPluginServer } = require('./plugin-app')

// This plugin's raw WebSocket endpoint, on the in-process bus.
runPluginServer({ ws: { path: '/ws' } })
