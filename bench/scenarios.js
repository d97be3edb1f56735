'use strict'
const config = require('./config')

/*
 * What the bench reports: one row per metric, the pairs of columns it compares, and the targets
 * (ratios of a plugin target to its baseline) from issue 5. Ratios are always plugin ÷ baseline,
 * so for memory and latency a ratio below 1 is better.
 */

const SCALE = `${config.SCALE_CLIENTS.toLocaleString('en')} connections`

/** `group`: 'scale' rows are measured only by `--scale` runs; the rest by the default run. */
const SCENARIOS = Object.freeze([
  { id: 'burst', label: `Burst fan-out: ${config.FANOUT_CLIENTS.toLocaleString('en')} clients, ${config.BURST} emits/turn`, unit: 'msgs/s', better: 'higher' },
  { id: 'single', label: `Single emits: ${config.FANOUT_CLIENTS.toLocaleString('en')} clients, 1 emit/turn`, unit: 'msgs/s', better: 'higher' },
  { id: 'rooms', label: `Many rooms: ${config.ROOM_CLIENTS.toLocaleString('en')} clients in ${config.ROOMS} rooms`, unit: 'msgs/s', better: 'higher' },
  { id: 'rooms2n', label: `Many rooms, two nodes: ${config.ROOM_CLIENTS.toLocaleString('en')} clients in ${config.ROOMS} rooms`, unit: 'msgs/s', better: 'higher', nodes: 2 },
  { id: 'handshake', label: `Handshakes with a JWT (${config.HANDSHAKE_CONCURRENCY} in flight)`, unit: 'conn/s', better: 'higher' },
  { id: 'memoryHeap', label: 'Heap per idle connection (5,000, after GC)', unit: 'bytes', better: 'lower' },
  { id: 'memoryRss', label: 'RSS per idle connection (5,000, after GC)', unit: 'bytes', better: 'lower' },
  { id: 'latencyP50', label: `Latency p50 at ${config.LATENCY_LOAD * 100}% of bare ws's single-emit max`, unit: 'ms', better: 'lower' },
  { id: 'latencyP99', label: `Latency p99 at ${config.LATENCY_LOAD * 100}% of bare ws's single-emit max`, unit: 'ms', better: 'lower' },
  // The scale check (`--scale`): its own sessions, its own results document.
  { id: 'scaleHeap', label: `Heap per connection at ${SCALE}, after GC`, unit: 'bytes', better: 'lower', group: 'scale' },
  { id: 'scaleRss', label: `RSS per connection at ${SCALE}, after GC`, unit: 'bytes', better: 'lower', group: 'scale' },
  { id: 'scaleFanout', label: `Fan-out to one room of ${SCALE}, 1 emit/turn`, unit: 'msgs/s', better: 'higher', group: 'scale' },
  { id: 'scaleBurst', label: `Burst fan-out to one room of ${SCALE}, ${config.BURST} emits/turn`, unit: 'msgs/s', better: 'higher', group: 'scale' },
  { id: 'stormHalf', label: `Reconnect storm: ${config.STORM_CLIENTS.toLocaleString('en')} clients dropped and reconnecting at once, time until half are back`, unit: 'ms', better: 'lower', group: 'scale' },
  { id: 'storm', label: `Reconnect storm: ${config.STORM_CLIENTS.toLocaleString('en')} clients dropped and reconnecting at once, time until all are back`, unit: 'ms', better: 'lower', group: 'scale' }
])

/** Baseline and plugin target compared side by side; `nodes` says which scenarios apply. */
const PAIRS = Object.freeze([
  { baseline: 'ws-bare', plugin: 'plugin-ws', nodes: 1 },
  { baseline: 'socketio-plain', plugin: 'plugin-socketio', nodes: 1 },
  { baseline: 'socketio-redis', plugin: 'plugin-redis', nodes: 2 }
])

const GOALS = Object.freeze([
  { plugin: 'plugin-ws', scenario: 'burst', atLeast: 5, text: 'raw-WS burst fan-out ≥ 5× bare ws' },
  { plugin: 'plugin-ws', scenario: 'single', atLeast: 1, text: 'raw-WS single-emit fan-out ≥ 1.0× bare ws' },
  { plugin: 'plugin-ws', scenario: 'latencyP99', atMost: 1, text: 'raw-WS p99 latency at 50% load ≤ bare ws' },
  { plugin: 'plugin-ws', scenario: 'memoryHeap', atMost: 1.2, text: 'raw-WS heap per idle connection ≤ 1.2× bare ws' },
  { plugin: 'plugin-ws', scenario: 'memoryRss', atMost: 1.2, text: 'raw-WS RSS per idle connection ≤ 1.2× bare ws' },
  { plugin: 'plugin-socketio', scenario: 'burst', atLeast: 1, text: 'Socket.IO namespace burst fan-out ≥ 1.0× plain Socket.IO' },
  { plugin: 'plugin-socketio', scenario: 'single', atLeast: 1, text: 'Socket.IO namespace single-emit fan-out ≥ 1.0× plain Socket.IO' },
  { plugin: 'plugin-socketio', scenario: 'memoryHeap', atMost: 1.1, text: 'Socket.IO heap per idle connection ≤ 1.1× plain Socket.IO' },
  { plugin: 'plugin-socketio', scenario: 'memoryRss', atMost: 1.1, text: 'Socket.IO RSS per idle connection ≤ 1.1× plain Socket.IO' },
  { plugin: 'plugin-redis', scenario: 'rooms2n', atLeast: 2, text: 'two nodes over Redis, many rooms ≥ 2× Socket.IO + redis-adapter' }
])

module.exports = { SCENARIOS, PAIRS, GOALS }
