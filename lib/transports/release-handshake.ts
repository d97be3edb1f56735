import { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyRequest } from 'fastify'
import type WebSocket from 'ws'

export type SocketErrorListener = (this: WebSocket, error: Error) => void

/**
 * Lets the handshake's HTTP objects go once a WebSocket is accepted. @fastify/websocket keeps them
 * for the connection's whole life, though nothing reads them after the upgrade: its per-socket
 * 'error' listener closes over the Fastify request and reply, and the hijacked ServerResponse
 * stays assigned to the TCP socket (and holds the reply through Fastify's 'finish' listener).
 * Measured with the bench, that is about 3 KB of heap per idle connection.
 *
 * Only for an @fastify/websocket the plugin registered itself, whose error handler is the default
 * (log the error, terminate the socket): `onError`, a listener shared by every socket, does the
 * same in its place. An app that registered @fastify/websocket may have its own error handler,
 * which needs that request and reply, so its sockets are left alone.
 *
 * Call it first thing in a `wsHandler`, while @fastify/websocket's is the socket's only 'error' listener.
 */
export function releaseHandshake (socket: WebSocket, request: FastifyRequest, onError: SocketErrorListener): void {
  socket.removeAllListeners('error')
  socket.on('error', onError)
  // `_httpMessage` is where ServerResponse#assignSocket (called by @fastify/websocket) put the
  // response; detachSocket is its inverse. Anything else there is not ours to touch.
  const tcpSocket = request.raw.socket
  const response = (tcpSocket as Socket & { _httpMessage?: unknown })._httpMessage
  if (response instanceof ServerResponse && response.socket === tcpSocket) response.detachSocket(tcpSocket)
}
