'use strict'
const { runPluginServer } = require('./plugin-app')

// This plugin's Socket.IO namespace, the raw endpoint off. The load generator speaks engine.io v4 over
// WebSocket, sends `40{"token":…}` and waits for the plugin's `welcome` event before counting.
runPluginServer({ ws: false, socketio: { path: '/socket.io', namespace: '/' } })
