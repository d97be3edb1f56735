import type { IncomingMessage } from 'node:http'
import { Server } from 'engine.io'
import type WebSocket from 'ws'
import { engineQuery, hasEngineSession, prepareRequest, startWebSocketSession } from '../../internals/engine-io'

/** What an engine.io request is, as engine.io itself will read it; 'ambiguous' ones must be refused. */
export type EngineRequestKind = 'handshake' | 'session' | 'ambiguous'

// The query keys engine.io decides on; a second copy of one is read differently by different parsers.
const ENGINE_QUERY_KEYS = ['sid', 'transport', 'EIO'] as const

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
    return typeof sid === 'string' && hasEngineSession(this, sid)
  }

  /**
   * Whether a request continues a session or would start one, decided from engine.io's own parse
   * of the URL: engine.io stores it on the request (see internals/engine-io) and reuses that very parse
   * when it handles the request, so the throttle and engine.io cannot disagree. `fastifySid` is the
   * sid in Fastify's parse (`request.query`): a request the two parsers read differently (a `#`,
   * which engine.io's URL parser cuts the query at; a repeated key, where one keeps the last and
   * the other an array; encodings one decodes and the other not) is 'ambiguous', never a session.
   */
  classify (request: IncomingMessage, fastifySid: unknown): EngineRequestKind {
    const url = request.url ?? ''
    if (url.includes('#')) return 'ambiguous'
    let params: URLSearchParams
    let query: Record<string, string | undefined>
    try {
      params = new URL(url, 'https://socket.io').searchParams
      query = engineQuery(this, request)
    } catch {
      return 'ambiguous'
    }
    if (ENGINE_QUERY_KEYS.some((key) => params.getAll(key).length > 1)) return 'ambiguous'
    const sid = query.sid
    if ((sid ?? undefined) !== (fastifySid ?? undefined)) return 'ambiguous'
    // An empty sid is no sid to engine.io (a handshake).
    return sid !== undefined && sid !== '' && this.hasSession(sid) ? 'session' : 'handshake'
  }

  /**
   * The checks `handleUpgrade` makes before upgrading (transport, session, handshake rules,
   * `allowRequest`), run while a refusal can still be an HTTP answer. Resolves with the refusal,
   * or undefined when the request may be upgraded.
   */
  async verifyUpgrade (request: IncomingMessage): Promise<EngineRefusal | undefined> {
    // verify reads engine.io's parse of the query, made here as handleUpgrade would.
    const engineRequest = prepareRequest(this, request)
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
    startWebSocketSession(this, request, websocket)
  }
}
