import fastifyJwt from '@fastify/jwt'
import fastifyWebsocket from '@fastify/websocket'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { Authenticator } from './auth/authenticate'
import { createOriginCheck } from './auth/origin'
import { handshakeRefusal } from './auth/handshake-refusal'
import { redactCredentialsInAppLogs } from './auth/redact-log'
import { guardSubprotocols, selectSubprotocol } from './auth/token'
import { MemoryBus } from './bus/memory-bus'
import { RedisBus } from './bus/redis-bus'
import { invalidOption } from './errors'
import type { Gateway } from './gateway'
import { ConnectionHooks } from './hub/connection-hooks'
import { EventHandlers } from './hub/event-handlers'
import { startHeartbeat } from './hub/heartbeat'
import { Hub } from './hub/hub'
import { RoomAccess } from './hub/room-access'
import { closeAllConnections } from './hub/shutdown'
import { MAX_MESSAGE_FRAGMENTS, resolveOptions, type RealtimeOptions } from './options'
import { Presence } from './presence/presence'
import { presenceStoreOf } from './presence/presence-store'
import { Realtime } from './realtime'
import { createHandshakeThrottle } from './throttle/handshake-throttle'
import { registerEngineRoutes } from './transports/socketio/engine-routes'
import { createSocketIo } from './transports/socketio/socketio-server'
import { registerWsRoute } from './transports/ws/ws-route'
import type { Identity } from './types'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the handshake authenticated as; set on the plugin's endpoints only. */
    realtimeIdentity: Identity | null
  }
}

/** The composition root: resolve options, build the parts, decorate, add hooks. */
export async function realtimePlugin (fastify: FastifyInstance, rawOptions: RealtimeOptions): Promise<void> {
  const options = resolveOptions(rawOptions)

  if (options.jwt !== undefined) {
    // The app's verifier would be used and these options (another secret, an audience) dropped unseen.
    if (fastify.hasDecorator('jwt')) throw invalidOption('jwt', 'left out when @fastify/jwt is already registered: its verifier is used, so configure it there')
    await fastify.register(fastifyJwt, options.jwt)
  }
  const jwt = fastify.hasDecorator('jwt') ? fastify.jwt : undefined
  if (options.auth.required && jwt === undefined) {
    throw invalidOption('jwt', 'set (or @fastify/jwt registered before fastify-realtime) unless auth.required is false')
  }

  const log = fastify.log
  const bus = options.bus ?? (options.redis === undefined ? new MemoryBus() : new RedisBus({ redis: options.redis, prefix: options.redisPrefix }))
  const hub = new Hub(bus, log, options.clusterRequestTimeout, options.recovery)
  const presence = options.presence === false ? undefined : new Presence(hub, presenceStoreOf(bus), options.presence, log, options.clusterRequestTimeout)
  const gateway: Gateway = {
    hub,
    rooms: new RoomAccess(hub, options),
    handlers: new EventHandlers(log),
    hooks: new ConnectionHooks(log),
    authenticator: new Authenticator(jwt, options.auth, log),
    options,
    log,
    stats: { slowConsumerDisconnects: 0, volatileDropped: 0 },
    presence
  }
  const socketIo = options.socketio === false ? undefined : createSocketIo(gateway, options.socketio)
  fastify.decorate('realtime', new Realtime(gateway, socketIo?.io))
  fastify.decorateRequest('realtimeIdentity', null)

  const ownsWebsocketPlugin = (options.ws !== false || options.socketio !== false) && !fastify.hasDecorator('websocketServer')
  if (ownsWebsocketPlugin) {
    await fastify.register(fastifyWebsocket, {
      options: { maxPayload: options.maxPayload, maxFragments: MAX_MESSAGE_FRAGMENTS, perMessageDeflate: false, clientTracking: false, handleProtocols: selectSubprotocol }
    })
  } else if (fastify.hasDecorator('websocketServer')) {
    guardSubprotocols(fastify.websocketServer.options)
  }

  // Tokens and engine.io session ids reach the app's request log on routes that are not the
  // plugin's too (a mistyped path, any 404): the redaction covers the app's whole log.
  redactCredentialsInAppLogs(fastify)
  // The endpoints live in their own context so their hooks and error handler apply to them and to
  // nothing else of the app.
  await fastify.register(async function realtimeEndpoints (instance) {
    instance.setErrorHandler(sendHandshakeError)
    const checkOrigin = options.allowedOrigins === undefined ? undefined : createOriginCheck(options.allowedOrigins)
    const throttle = options.connectionRateLimit === false ? undefined : await createHandshakeThrottle(instance, options.connectionRateLimit)
    const handshakeChecks: onRequestAsyncHookHandler[] = []
    if (checkOrigin !== undefined) handshakeChecks.push(checkOrigin)
    if (throttle !== undefined) handshakeChecks.push(throttle)
    if (options.ws !== false) registerWsRoute(instance, gateway, options.ws.path, handshakeChecks, ownsWebsocketPlugin)
    if (socketIo !== undefined) registerEngineRoutes(instance, socketIo, { checkOrigin, throttle }, ownsWebsocketPlugin)
  })

  try {
    await hub.start()
    await presence?.start(hub.nodeId, log)
  } catch (err) {
    if (options.bus === undefined) await bus.close()
    throw err
  }
  const stopHeartbeat = startHeartbeat(hub, options.heartbeatInterval)
  fastify.addHook('preClose', async () => {
    stopHeartbeat()
    await closeAllConnections(hub, options.closeTimeout)
    // The leaves of the connections just closed, then whatever of this node presence still holds.
    await presence?.stop(options.closeTimeout)
    // Then whatever Socket.IO still holds: sessions that never joined the namespace, other namespaces.
    await socketIo?.io.close()
  })
  fastify.addHook('onClose', async () => {
    // A bus the app passed in is the app's to close.
    if (options.bus === undefined) await bus.close()
  })
}

/**
 * Refused handshakes answer with a JSON body carrying the wire code (`UNAUTHORIZED`, `RATE_LIMITED`,
 * …); an unexpected exception with a generic `INTERNAL` (see handshakeRefusal). Fastify's own 4xx
 * errors go on to its error handler.
 */
async function sendHandshakeError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const refusal = handshakeRefusal(error, request.log)
  if (refusal === undefined) throw error
  if (refusal.statusCode === 401) reply.header('www-authenticate', 'Bearer')
  await reply.code(refusal.statusCode).send(refusal.toHttpBody())
}
