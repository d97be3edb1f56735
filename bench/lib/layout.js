'use strict'
const config = require('../config')

/**
 * Which room (and, for two-node targets, which node) bench client number `index` belongs to.
 * The load generator and the orchestrator both use it, so only indexes cross the IPC channel.
 *
 * single node (5,000 clients): 0–999 in `all`; 1,000–2,999 in `r0`…`r199` (10 each); the rest in `idle`.
 * two nodes (2,000 clients): client i in `r{i % 200}`; even rooms live on node 0, odd rooms on node 1,
 * so every room's members sit on one node and the other node has no business with its traffic.
 * scale (the `--scale` sessions: 15,000 clients, then the storm's 4,000): every client in `all`.
 */
const SINGLE_NODE_CLIENTS = config.FANOUT_CLIENTS + config.ROOM_CLIENTS + config.IDLE_CLIENTS
const TWO_NODE_CLIENTS = config.ROOM_CLIENTS

function roomIndexOf (index) {
  return index % config.ROOMS
}

function placeClient (layout, index) {
  if (layout === 'two-node') {
    const room = roomIndexOf(index)
    return { room: `r${room}`, node: room % 2 }
  }
  if (layout === 'scale') return { room: 'all', node: 0 }
  if (index < config.FANOUT_CLIENTS) return { room: 'all', node: 0 }
  if (index < config.FANOUT_CLIENTS + config.ROOM_CLIENTS) return { room: `r${roomIndexOf(index - config.FANOUT_CLIENTS)}`, node: 0 }
  return { room: 'idle', node: 0 }
}

/** `r0` … `r{ROOMS-1}`. */
function manyRooms () {
  return Array.from({ length: config.ROOMS }, (_, i) => `r${i}`)
}

module.exports = { SINGLE_NODE_CLIENTS, TWO_NODE_CLIENTS, roomIndexOf, placeClient, manyRooms }
