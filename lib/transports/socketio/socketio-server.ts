import type { ServerOptions as EngineServerOptions } from 'engine.io'
import { Server } from 'socket.io'
import type { Gateway } from '../../gateway'
import type { ResolvedSocketIoOptions } from '../../options'
import { createEventPacketEncoder } from './event-packet'
import { FastifyEngine } from './fastify-engine'
import { createHubAdapter } from './hub-adapter'
import { bindNamespace } from './socketio-namespace'
import { guardOtherNamespaces } from './other-namespaces'
import { prefixSocketIds } from './socket-ids'
import { trackSessions, type SessionLimits } from './session-ledger'
import { SocketIoRecovery } from './socketio-recovery'

export interface SocketIoEndpoint {
  /** The Socket.IO server (`app.realtime.io`). */
  readonly io: Server
  /** Its engine.io server, fed by the Fastify routes. */
  readonly engine: FastifyEngine
  readonly options: ResolvedSocketIoOptions
}

/** Builds the Socket.IO server, bound to an engine.io server that no HTTP server is attached to. */
export function createSocketIo (gateway: Gateway, options: ResolvedSocketIoOptions): SocketIoEndpoint {
  const engine = new FastifyEngine(engineOptions(options))
  // Before io.bind: the ledger must see each session (and each packet) before Socket.IO does.
  trackSessions(engine, sessionLimits(gateway, options))
  const { recovery } = gateway.options
  const streams = gateway.hub.streams
  const sessions = recovery === false || streams === undefined ? undefined : new SocketIoRecovery(gateway, recovery, streams, options.namespace)
  const io = new Server({
    path: options.path,
    connectTimeout: options.connectTimeout,
    serveClient: false,
    adapter: createHubAdapter(gateway.hub, options.namespace, sessions),
    // Socket.IO's own recovery, for its pid, `socket.emit` through the adapter (which adds the
    // tokens) and persistSession; its middlewares always run: the token is verified again.
    ...(sessions === undefined ? {} : { connectionStateRecovery: { maxDisconnectionDuration: sessions.options.maxDisconnectionDuration, skipMiddlewares: false } })
  })
  io.bind(engine)
  guardOtherNamespaces(io, gateway, options.namespace)
  const namespace = io.of(options.namespace)
  prefixSocketIds(namespace)
  sessions?.bind(namespace)
  bindNamespace(namespace, gateway, sessions?.encoder ?? createEventPacketEncoder(options.namespace), sessions)
  return { io, engine, options }
}

/**
 * A session may send a handful of packets before it connects (a CONNECT per namespace, a retry);
 * socket.io-client sends one per namespace it multiplexes.
 */
const PACKETS_BEFORE_CONNECT = 8

/**
 * Once connected, packets other than the realtime connection's events (which it counts against
 * messageRateLimit) get twice that limit: the point where events close the connection with 4429.
 */
function sessionLimits (gateway: Gateway, options: ResolvedSocketIoOptions): SessionLimits {
  const rate = gateway.options.messageRateLimit
  return {
    maxBufferedBytes: gateway.options.maxBufferedBytes,
    packetsBeforeConnect: PACKETS_BEFORE_CONNECT,
    packetRate: rate === false ? undefined : { max: rate.max * 2, timeWindow: rate.timeWindow },
    connectTimeout: options.connectTimeout,
    realtimeNamespace: options.namespace
  }
}

function engineOptions (options: ResolvedSocketIoOptions): EngineServerOptions {
  const engine: EngineServerOptions = {
    transports: [...options.transports],
    maxHttpBufferSize: options.maxHttpBufferSize,
    pingInterval: options.pingInterval,
    pingTimeout: options.pingTimeout,
    upgradeTimeout: options.upgradeTimeout,
    allowUpgrades: options.allowUpgrades,
    // The WebSocket is negotiated by @fastify/websocket, which offers no compression, and
    // pre-framed broadcasts rely on uncompressed frames.
    perMessageDeflate: false,
    // Protocol v3 (Socket.IO 2 clients) stays refused.
    allowEIO3: false
  }
  // engine.io fills in its defaults with Object.assign: an option set to undefined would erase one.
  if (options.allowRequest !== undefined) engine.allowRequest = options.allowRequest
  if (options.cookie !== undefined) engine.cookie = options.cookie
  if (options.cors !== undefined) engine.cors = options.cors
  if (options.httpCompression !== undefined) engine.httpCompression = options.httpCompression
  return engine
}
