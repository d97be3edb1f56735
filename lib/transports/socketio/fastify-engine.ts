import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { Server } from 'engine.io'
import type WebSocket from 'ws'

/**
 * The steps of engine.io's `handleUpgrade`, which cannot be used as a whole because
 * @fastify/websocket performs the upgrade. They are internal to engine.io, which is why
 * package.json pins engine.io to 6.6.x and the Socket.IO tests cover every transport mode.
 */
interface EngineInternals {
  /** Parses the query string into `req._query`. */
  prepare (request: IncomingMessage): void
  /** Starts a session on (or upgrades an existing session to) an open WebSocket. */
  onWebSocket (request: IncomingMessage, socket: Duplex, websocket: WebSocket): void
}

type EngineRequest = Parameters<Server['handleRequest']>[0] & { _query: Record<string, string> }

/** Why engine.io refused a request, as it answers a refused polling request. */
export interface EngineRefusal {
  statusCode: 400 | 403
  code: number
  message: string
}

/**
 * An engine.io server that is attached to no HTTP server: Fastify routes hand it every request
 * (`handleRequest`) and every WebSocket @fastify/websocket upgraded (`verifyUpgrade` before the
 * upgrade, `acceptWebSocket` after it), so Fastify's hooks run for all of them and nothing else
 * listens on the server's `upgrade` event.
 */
export class FastifyEngine extends Server {
  /** Whether `sid` names a session this server holds: such requests continue a session, they are no handshake. */
  hasSession (sid: unknown): boolean {
    return typeof sid === 'string' && Object.hasOwn(this.clients, sid)
  }

  /**
   * The checks `handleUpgrade` makes before upgrading (transport, session, handshake rules,
   * `allowRequest`), run while a refusal can still be an HTTP answer. Resolves with the refusal,
   * or undefined when the request may be upgraded.
   */
  async verifyUpgrade (request: IncomingMessage): Promise<EngineRefusal | undefined> {
    const engineRequest = request as EngineRequest
    ;(this as unknown as EngineInternals).prepare(engineRequest)
    return await new Promise((resolve) => {
      this.verify(engineRequest, true, (code, context) => {
        if (code === undefined) {
          resolve(undefined)
          return
        }
        const message = context?.message ?? Server.errorMessages[code]
        this.emit('connection_error', { req: request, code, message, context })
        resolve({ statusCode: code === Server.errors.FORBIDDEN ? 403 : 400, code, message })
      })
    })
  }

  /** What `handleUpgrade` does once it has upgraded: start a session, or upgrade one, on the WebSocket. */
  acceptWebSocket (request: IncomingMessage, websocket: WebSocket): void {
    (this as unknown as EngineInternals).onWebSocket(request, request.socket, websocket)
  }
}
