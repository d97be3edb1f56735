import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { Server, type ErrorCallback } from 'engine.io'
import type WebSocket from 'ws'

/**
 * engine.io's own steps for an upgrade it did not perform itself. They are internal to engine.io
 * (`handleUpgrade` runs them after upgrading the socket), which is why package.json pins engine.io
 * to 6.6.x and the Socket.IO tests cover every transport mode.
 */
interface EngineInternals {
  /** Parses the query string into `req._query`. */
  prepare (request: IncomingMessage): void
  /** Starts a session on (or upgrades an existing session to) an open WebSocket. */
  onWebSocket (request: IncomingMessage, socket: Duplex, websocket: WebSocket): void
}

type EngineRequest = Parameters<Server['handleRequest']>[0] & { _query: Record<string, string> }

/** Why engine.io refused a request (its `connection_error` event carries the same). */
export interface EngineRefusal {
  code: number
  message: string
}

/**
 * An engine.io server that is attached to no HTTP server: Fastify routes hand it every request
 * (`handleRequest`) and every WebSocket @fastify/websocket has already upgraded (`acceptWebSocket`),
 * so Fastify's hooks run for all of them and nothing else listens on the server's `upgrade` event.
 */
export class FastifyEngine extends Server {
  /** Whether `sid` names a session this server holds: such requests continue a session, they are no handshake. */
  hasSession (sid: unknown): boolean {
    return typeof sid === 'string' && Object.hasOwn(this.clients, sid)
  }

  /**
   * What `handleUpgrade` does once the socket is upgraded: check the request (transport, sid,
   * handshake rules) and start or upgrade the session. A refused request is reported through
   * `onRefused`; the caller closes the WebSocket.
   */
  acceptWebSocket (request: IncomingMessage, websocket: WebSocket, onRefused: (refusal: EngineRefusal) => void): void {
    const internals = this as unknown as EngineInternals
    internals.prepare(request)
    const verified: ErrorCallback = (code, context) => {
      if (code === undefined) {
        internals.onWebSocket(request, request.socket, websocket)
        return
      }
      const message = context?.message ?? Server.errorMessages[code]
      this.emit('connection_error', { req: request, code, message, context })
      onRefused({ code, message })
    }
    this.verify(request as EngineRequest, true, verified)
  }
}
