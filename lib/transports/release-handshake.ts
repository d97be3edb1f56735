import type { FastifyRequest } from 'fastify'
import type WebSocket from 'ws'
import { forgetUpgradeHead } from '../internals/fastify-websocket'
import { assignedResponse } from '../internals/node-http'

/**
 * Lets the handshake's HTTP objects go once a WebSocket is accepted. @fastify/websocket keeps them
 * for the connection's whole life, though nothing reads them after the upgrade: its per-socket
 * 'error' listener closes over the Fastify request and reply, the hijacked ServerResponse stays
 * assigned to the TCP socket (and holds the reply through Fastify's 'finish' listener), and the
 * upgrade's `head` buffer stays on the raw request (which engine.io keeps for a Socket.IO session's
 * life). Measured with the bench, that is about 3 KB of heap per idle connection.
 *
 * Only for an @fastify/websocket the plugin registered itself, whose error handler is the default
 * (log the error, terminate the socket). An app that registered @fastify/websocket may have its own
 * error handler, which needs that request and reply, so its sockets are left alone.
 *
 * Call it first thing in a `wsHandler`, while @fastify/websocket's is the socket's only 'error'
 * listener, and give the socket an 'error' listener of your own at once: an 'error' event with no
 * listener would throw.
 */
export function releaseHandshake (socket: WebSocket, request: FastifyRequest): void {
  socket.removeAllListeners('error')
  // The response @fastify/websocket assigned to the TCP socket; detachSocket is assignSocket's inverse.
  const tcpSocket = request.raw.socket
  assignedResponse(tcpSocket)?.detachSocket(tcpSocket)
  forgetUpgradeHead(request.raw)
}
