'use strict'

/*
 * The servers under test. Baselines are what users would run instead of this plugin; each plugin
 * target names the baseline its ratios are taken against. A target with `pending` is a slot: it is
 * listed in the results as pending and not run. To fill a slot after its branch is merged, check
 * its server script against the merged options and delete its `pending` line. `recovery: true`
 * marks the targets with delivery guarantees on (issue 15), the ones the reconnect storm with
 * recovery (`--recovery`) runs.
 */

const RAW_WS = { path: '/ws', protocol: 'ws' }
const ENGINE_IO = { path: '/socket.io/?EIO=4&transport=websocket', protocol: 'eio' }

const TARGETS = Object.freeze([
  {
    id: 'ws-bare',
    label: 'bare ws',
    role: 'baseline',
    server: 'ws-bare.js',
    nodes: 1,
    client: { ...RAW_WS, readyOn: 'upgrade' }
  },
  {
    id: 'socketio-plain',
    label: 'plain Socket.IO',
    role: 'baseline',
    server: 'socketio-plain.js',
    nodes: 1,
    client: { ...ENGINE_IO, readyOn: 'eio-connect' }
  },
  {
    id: 'plugin-ws',
    label: 'plugin raw-WS',
    role: 'plugin',
    baseline: 'ws-bare',
    server: 'plugin-ws.js',
    nodes: 1,
    client: { ...RAW_WS, readyOn: 'first-frame' }
  },
  {
    id: 'plugin-socketio',
    label: 'plugin Socket.IO',
    role: 'plugin',
    baseline: 'socketio-plain',
    server: 'plugin-socketio.js',
    nodes: 1,
    client: { ...ENGINE_IO, readyOn: 'eio-welcome' }
  },
  {
    id: 'socketio-redis',
    label: 'Socket.IO + redis-adapter, 2 nodes',
    role: 'baseline',
    server: 'socketio-plain.js',
    nodes: 2,
    client: { ...ENGINE_IO, readyOn: 'eio-connect' }
  },
  {
    id: 'socketio-streams',
    label: 'Socket.IO + redis-streams-adapter, recovery on, 2 nodes',
    role: 'baseline',
    server: 'socketio-streams.js',
    nodes: 2,
    recovery: true,
    client: { ...ENGINE_IO, readyOn: 'eio-connect' }
  },
  {
    id: 'plugin-redis',
    label: 'plugin over Redis, 2 nodes',
    role: 'plugin',
    baseline: 'socketio-redis',
    server: 'plugin-redis.js',
    nodes: 2,
    client: { ...RAW_WS, readyOn: 'first-frame' }
  },
  {
    // Also compared with plugin-redis, its own figure with recovery off (scenarios.js PAIRS).
    id: 'plugin-redis-recovery',
    label: 'plugin over Redis, recovery on, 2 nodes',
    role: 'plugin',
    baseline: 'socketio-streams',
    server: 'plugin-redis-recovery.js',
    nodes: 2,
    recovery: true,
    client: { ...RAW_WS, readyOn: 'first-frame' }
  }
])

module.exports = { TARGETS }
