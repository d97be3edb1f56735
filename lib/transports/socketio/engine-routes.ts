import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, onRequestAsyncHookHandler } from 'fastify'
import { RealtimeError } from '../../errors'
import { releaseHandshake } from '../release-handshake'
import { limitBodyTime } from './body-deadline'
import type { FastifyEngine } from './fastify-engine'
import type { SocketIoEndpoint } from './socketio-server'

export interface EngineRouteChecks {
  /** Runs for every engine.io request: a cross-site page must not ride an existing session either. */
  checkOrigin?: onRequestAsyncHookHandler
  /** The per-IP handshake throttle; requests that continue a session are not counted. */
  throttle?: onRequestAsyncHookHandler
}

/**
 * Serves engine.io through Fastify routes at `${path}/` (the URL socket.io-client requests), so
 * every polling request and every WebSocket upgrade passes Fastify's hooks first: GET and POST are
 * handed to engine.io as raw requests; an upgrade request is checked by engine.io before the 101
 * (so a refusal is an HTTP error, as engine.io would answer it), then hands its WebSocket over.
 * `ownsWebsocketPlugin`: the plugin registered @fastify/websocket itself (see releaseHandshake).
 */
export function registerEngineRoutes (instance: FastifyInstance, { engine, options }: SocketIoEndpoint, checks: EngineRouteChecks, ownsWebsocketPlugin: boolean): void {
  const onRequest: onRequestAsyncHookHandler[] = []
  if (checks.checkOrigin !== undefined) onRequest.push(checks.checkOrigin)
  onRequest.push(classifyEngineRequest(checks.throttle, engine))
  const serve = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack()
    engine.handleRequest(request.raw, reply.raw)
  }
  const common = {
    url: `${options.path}/`,
    // The plugin's own per-IP throttle is in onRequest; an app-wide @fastify/rate-limit must not count polls.
    config: { rateLimit: false as const },
    exposeHeadRoute: false,
    onRequest
  }

  // Its own context, so the pass-through body parser applies to these routes and nothing else.
  instance.register(async function engineRoutes (routes) {
    // engine.io reads polling bodies itself and enforces maxHttpBufferSize on them.
    routes.removeAllContentTypeParsers()
    routes.addContentTypeParser('*', leaveBodyToEngine)
    routes.route({
      ...common,
      method: 'GET',
      preHandler: async (request, reply) => {
        if (!request.ws) return
        const refusal = await engine.verifyUpgrade(request.raw)
        if (refusal === undefined) return
        const { statusCode, ...body } = refusal
        return await reply.code(statusCode).send(body)
      },
      handler: serve,
      wsHandler: (websocket, request) => {
        // engine.io adds its own 'error' listener first thing in acceptWebSocket, and its WebSocket
        // transport closes the session on an error; a listener of ours would only cost memory.
        if (ownsWebsocketPlugin) releaseHandshake(websocket, request)
        engine.acceptWebSocket(request.raw, websocket)
      }
    })
    // Methods engine.io does not serve get its own answer (400, code 2, "Bad handshake method"), not a 404.
    routes.route({ ...common, method: ['PUT', 'DELETE', 'PATCH'], handler: serve })
    // With engine.io's `cors` option its middleware answers preflight requests; otherwise OPTIONS stays the app's.
    const bodyMethods: HTTPMethods[] = options.cors === undefined ? ['POST'] : ['POST', 'OPTIONS']
    routes.route({
      ...common,
      method: bodyMethods,
      handler: async (request, reply) => {
        // A payload must arrive within the time engine.io gives a client to answer a ping.
        if (request.method === 'POST') limitBodyTime(request.raw, options.pingTimeout)
        await serve(request, reply)
      }
    })
  })
}

function leaveBodyToEngine (_request: FastifyRequest, _payload: unknown, done: (err: null) => void): void {
  done(null)
}

/**
 * Long-polling clients make a request every few seconds on one session; only requests that would
 * start a session count against the per-IP handshake budget (a CORS preflight starts nothing). A
 * made-up `sid` does not help a client dodge it: engine.io refuses unknown sessions, and those
 * requests are counted. Whether a request continues a session is read from engine.io's own parse
 * of its URL (see FastifyEngine.classify); a URL that parsers could read differently is refused
 * whether or not the throttle is on, since engine.io and the app's hooks would see two requests.
 */
function classifyEngineRequest (throttle: onRequestAsyncHookHandler | undefined, engine: FastifyEngine): onRequestAsyncHookHandler {
  return async function throttleHandshakes (request, reply) {
    const { sid } = request.query as { sid?: unknown }
    const kind = engine.classify(request.raw, sid)
    if (kind === 'ambiguous') throw new RealtimeError('BAD_REQUEST', 'Ambiguous engine.io request URL')
    if (throttle === undefined || request.method === 'OPTIONS' || kind === 'session') return
    await throttle.call(this, request, reply)
  }
}
