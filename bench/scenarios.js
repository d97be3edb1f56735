'use strict'
const config = require('./config')

/*
 * What the bench reports: one row per metric, the pairs of columns it compares, and the targets
 * (ratios of a plugin target to a baseline) from issues 5 and 15. Ratios are always plugin ÷
 * baseline, so for memory, latency, times and Redis commands a ratio below 1 is better.
 */

const SCALE = `${config.SCALE_CLIENTS.toLocaleString('en')} connections`
const ROOMS = `${config.ROOM_CLIENTS.toLocaleString('en')} clients in ${config.ROOMS} rooms`
const RECOVERY_STORM = `Reconnect storm with recovery: ${config.ROOM_CLIENTS.toLocaleString('en')} clients of ${config.ROOMS} rooms over two nodes dropped at once while emits go on`

/**
 * `group`: 'scale' rows are measured only by `--scale` runs, 'recovery' rows only by `--recovery`
 * runs; the rest by the default run. `nodes: 2`: measured on the two-node targets.
 */
const SCENARIOS = Object.freeze([
  { id: 'burst', label: `Burst fan-out: ${config.FANOUT_CLIENTS.toLocaleString('en')} clients, ${config.BURST} emits/turn`, unit: 'msgs/s', better: 'higher' },
  { id: 'single', label: `Single emits: ${config.FANOUT_CLIENTS.toLocaleString('en')} clients, 1 emit/turn`, unit: 'msgs/s', better: 'higher' },
  { id: 'rooms', label: `Many rooms: ${ROOMS}`, unit: 'msgs/s', better: 'higher' },
  { id: 'rooms2n', label: `Many rooms, two nodes: ${ROOMS}`, unit: 'msgs/s', better: 'higher', nodes: 2 },
  { id: 'redisPerEmit', label: 'Redis commands per emit, many rooms, two nodes (INFO commandstats: a Lua script\'s commands each counted)', unit: 'cmds', better: 'lower', nodes: 2 },
  { id: 'redisCpuPerEmit', label: 'Redis CPU time per emit, many rooms, two nodes (INFO cpu)', unit: 'µs', better: 'lower', nodes: 2 },
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
  { id: 'storm', label: `Reconnect storm: ${config.STORM_CLIENTS.toLocaleString('en')} clients dropped and reconnecting at once, time until all are back`, unit: 'ms', better: 'lower', group: 'scale' },
  // The reconnect storm with recovery (`--recovery`): its own sessions, its own results document.
  { id: 'recoveryBack', label: `${RECOVERY_STORM}, time until all are back`, unit: 'ms', better: 'lower', group: 'recovery', nodes: 2 },
  { id: 'recoveryResumed', label: `${RECOVERY_STORM}, time until all are back and resumed`, unit: 'ms', better: 'lower', group: 'recovery', nodes: 2 },
  { id: 'recoveryCaughtUp', label: `${RECOVERY_STORM}, time until all are resumed and have every event sent before the drop`, unit: 'ms', better: 'lower', group: 'recovery', nodes: 2 }
])

/**
 * Baseline and plugin target compared side by side; `nodes` says which scenarios apply, `section`
 * which table of the results shows them (the two-node targets with recovery on, issue 15, have
 * their own), `runs` which kinds of run measure both (default: every kind that runs them). A
 * target may be the plugin of more than one pair: plugin-redis-recovery is compared with
 * Socket.IO's own recovery and with the plugin's recovery-off figure (which `--recovery` does not run).
 */
const PAIRS = Object.freeze([
  { baseline: 'ws-bare', plugin: 'plugin-ws', nodes: 1 },
  { baseline: 'socketio-plain', plugin: 'plugin-socketio', nodes: 1 },
  { baseline: 'socketio-redis', plugin: 'plugin-redis', nodes: 2 },
  { baseline: 'socketio-streams', plugin: 'plugin-redis-recovery', nodes: 2, section: 'recovery' },
  { baseline: 'plugin-redis', plugin: 'plugin-redis-recovery', nodes: 2, section: 'recovery', runs: ['default'] }
])

/** The key of a pair's ratios in the results document (`ratios`, `efficiencyRatios`). */
function pairKey ({ plugin, baseline }) {
  return `${plugin}/${baseline}`
}

const GOALS = Object.freeze([
  { issue: 5, plugin: 'plugin-ws', baseline: 'ws-bare', scenario: 'burst', atLeast: 5, text: 'raw-WS burst fan-out ≥ 5× bare ws' },
  { issue: 5, plugin: 'plugin-ws', baseline: 'ws-bare', scenario: 'single', atLeast: 1, text: 'raw-WS single-emit fan-out ≥ 1.0× bare ws' },
  { issue: 5, plugin: 'plugin-ws', baseline: 'ws-bare', scenario: 'latencyP99', atMost: 1, text: 'raw-WS p99 latency at 50% load ≤ bare ws' },
  { issue: 5, plugin: 'plugin-ws', baseline: 'ws-bare', scenario: 'memoryHeap', atMost: 1.2, text: 'raw-WS heap per idle connection ≤ 1.2× bare ws' },
  { issue: 5, plugin: 'plugin-ws', baseline: 'ws-bare', scenario: 'memoryRss', atMost: 1.2, text: 'raw-WS RSS per idle connection ≤ 1.2× bare ws' },
  { issue: 5, plugin: 'plugin-socketio', baseline: 'socketio-plain', scenario: 'burst', atLeast: 1, text: 'Socket.IO namespace burst fan-out ≥ 1.0× plain Socket.IO' },
  { issue: 5, plugin: 'plugin-socketio', baseline: 'socketio-plain', scenario: 'single', atLeast: 1, text: 'Socket.IO namespace single-emit fan-out ≥ 1.0× plain Socket.IO' },
  { issue: 5, plugin: 'plugin-socketio', baseline: 'socketio-plain', scenario: 'memoryHeap', atMost: 1.1, text: 'Socket.IO heap per idle connection ≤ 1.1× plain Socket.IO' },
  { issue: 5, plugin: 'plugin-socketio', baseline: 'socketio-plain', scenario: 'memoryRss', atMost: 1.1, text: 'Socket.IO RSS per idle connection ≤ 1.1× plain Socket.IO' },
  { issue: 5, plugin: 'plugin-redis', baseline: 'socketio-redis', scenario: 'rooms2n', atLeast: 2, text: 'two nodes over Redis, many rooms ≥ 2× Socket.IO + redis-adapter' },
  { issue: 15, plugin: 'plugin-redis-recovery', baseline: 'socketio-streams', scenario: 'rooms2n', atLeast: 2, text: 'recovery on, two nodes, many rooms ≥ 2× Socket.IO + redis-streams-adapter with recovery' },
  { issue: 15, plugin: 'plugin-redis-recovery', baseline: 'plugin-redis', scenario: 'rooms2n', atLeast: 0.7, text: 'recovery on, two nodes, many rooms ≥ 0.7× the plugin with recovery off' },
  { issue: 15, plugin: 'plugin-redis-recovery', baseline: 'socketio-streams', scenario: 'recoveryResumed', atMost: 0.5, text: 'reconnect storm with recovery, all back and resumed ≥ 2× faster than Socket.IO + redis-streams-adapter (time ≤ 0.5×)' }
])

module.exports = { SCENARIOS, PAIRS, GOALS, pairKey }
