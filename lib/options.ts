import type { FastifyJWTOptions } from '@fastify/jwt'
import type { ServerOptions as EngineServerOptions } from 'engine.io'
import type { Bus } from './bus/bus'
import { resolvePrefix } from './bus/redis-channels'
import { checkRedisOption, type RedisConnectionOption } from './bus/redis-connections'
import { invalidOption } from './errors'
import { refuseUnknownOptions } from './option-names'
import { duration, optionalBoolean, optionalFunction, optionalObject, positiveInteger } from './options-checks'
import { resolvePresence, type PresenceOptions, type ResolvedPresence } from './presence/presence-options'
import { resolveRecovery, type RecoveryOptions, type ResolvedRecovery } from './recovery/recovery-options'
import type { RealtimeClient } from './hub/realtime-client'
import type { RateLimit } from './throttle/rate-limit'

export type { RateLimit } from './throttle/rate-limit'
import type { RealtimeUser, Room } from './types'

const DEFAULT_WS_PATH = '/ws'
const DEFAULT_MAX_PAYLOAD = 64 * 1024
const DEFAULT_HEARTBEAT_INTERVAL = 25_000
const DEFAULT_MAX_ROOMS_PER_CONNECTION = 100
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024
const DEFAULT_CONNECTION_RATE_LIMIT = { max: 30, timeWindow: 60_000 }
const DEFAULT_MESSAGE_RATE_LIMIT = { max: 100, timeWindow: 10_000 }
const DEFAULT_MAX_BAD_FRAMES = 10
const DEFAULT_CLOSE_TIMEOUT = 5_000
const DEFAULT_SOCKETIO_PATH = '/socket.io'
const DEFAULT_SOCKETIO_NAMESPACE = '/'
/** Socket.IO's own default is 45 s; a client that opened a session and never connects holds it that long. */
const DEFAULT_SOCKETIO_CONNECT_TIMEOUT = 10_000
const DEFAULT_SOCKETIO_PING_TIMEOUT = 20_000
const DEFAULT_SOCKETIO_UPGRADE_TIMEOUT = 10_000
/** Fragments one inbound message may arrive in; a flood of tiny fragments is closed with 1008. */
export const MAX_MESSAGE_FRAGMENTS = 64
const DEFAULT_CLUSTER_REQUEST_TIMEOUT = 1_000

export type OriginPolicy = readonly string[] | ((origin: string) => boolean)

export interface AuthOptions {
  /** Refuse handshakes without a valid token (default true). With false, token-less clients are anonymous. */
  required?: boolean
  /** Reads the user id from a verified payload (default: `payload.sub`). */
  userId?: (payload: RealtimeUser) => string | number | undefined | null
  /** Refuse tokens that carry no `exp` claim (default true). */
  requireExpiry?: boolean
  /**
   * Called with every verified payload, at the handshake and at each token refresh; a token it
   * answers false for is refused as revoked (`UNAUTHORIZED`). Use it instead of @fastify/jwt's
   * `trusted`, which takes a request and is not called for realtime tokens.
   */
  trusted?: (payload: RealtimeUser) => boolean | Promise<boolean>
}

/** The engine.io options the Socket.IO endpoint passes through as they are. */
type EnginePassThroughOptions = Pick<EngineServerOptions, 'allowRequest' | 'allowUpgrades' | 'cookie' | 'cors' | 'httpCompression'>

export interface SocketIoOptions extends EnginePassThroughOptions {
  /** Where engine.io is served; clients use the same `path` option (default `/socket.io`). */
  path?: string
  /** The namespace clients connect to (default `/`). */
  namespace?: string
  /** Transports offered (default both). `['polling']` suits proxies that block WebSockets. */
  transports?: Array<'polling' | 'websocket'>
  /** Largest polling request body in bytes (default: `maxPayload`). WebSocket frames are capped by `maxPayload`. */
  maxHttpBufferSize?: number
  /** Milliseconds between engine.io pings (default: `heartbeatInterval`). */
  pingInterval?: number
  /** Milliseconds a client has to answer a ping before it is dropped (default 20 s). */
  pingTimeout?: number
  /** Milliseconds a polling→WebSocket upgrade may take (default 10 s). */
  upgradeTimeout?: number
  /** Milliseconds a client has, after the engine.io handshake, to connect to the namespace (default 10 s). */
  connectTimeout?: number
  /**
   * Send the `welcome` event on connect (default true). With false a Socket.IO client sees exactly
   * what plain Socket.IO sends; who it is stays in `socket.data` and the connection hooks.
   */
  welcome?: boolean
}

/**
 * @fastify/jwt's options, whose `secret` may be typed undefined as `process.env.JWT_SECRET` is: a
 * missing secret is refused at register time, naming `jwt.secret`.
 */
export type JwtOptions = Omit<FastifyJWTOptions, 'secret'> & { secret: FastifyJWTOptions['secret'] | undefined }

export interface RealtimeOptions {
  /** Options for @fastify/jwt. Omit when the app registered @fastify/jwt itself. */
  jwt?: JwtOptions
  auth?: AuthOptions
  /** The raw WebSocket JSON endpoint, or false to disable it. */
  ws?: { path?: string } | false
  /** The Socket.IO namespace on the same port, or false to disable it. */
  socketio?: SocketIoOptions | false
  /** A bus to share rooms with other nodes (default: a private in-process bus). */
  bus?: Bus
  /**
   * Rooms across nodes over Redis pub/sub: a URL, ioredis options, or an ioredis Redis or Cluster
   * instance (which the plugin leaves open; it opens its own second connection for subscribing).
   */
  redis?: RedisConnectionOption
  /** Prefix of every Redis channel and key (default 'fastify-realtime'); the same on every node and emitter. */
  redisPrefix?: string
  /**
   * Milliseconds the plugin waits on the cluster before going on without it: for a live node to
   * answer a query (`count()`, `roomSize()`, …), and for Redis to confirm a room subscription
   * before a join is acknowledged.
   */
  clusterRequestTimeout?: number
  /** Allowed `Origin` values (or a predicate), checked on every handshake. Unset: any origin. */
  allowedOrigins?: OriginPolicy
  /** Handshakes per IP per window, checked before the upgrade; false disables it. */
  connectionRateLimit?: RateLimit | false
  /** Inbound frames per connection per window; false disables it. */
  messageRateLimit?: RateLimit | false
  /** Malformed frames tolerated per connection per minute before closing with 4400. */
  maxBadFrames?: number
  /** Milliseconds between heartbeat pings; a client that misses one is terminated. */
  heartbeatInterval?: number
  /** Largest inbound frame in bytes; bigger frames close the connection with 1009. */
  maxPayload?: number
  /** Rooms one connection may be in, its own `user:` room and auto-joined rooms included. */
  maxRoomsPerConnection?: number
  /** Outbound bytes buffered for one client before it is closed as a slow consumer (4408). */
  maxBufferedBytes?: number
  /** Milliseconds `app.close()` waits for clients to acknowledge the 1001 close before terminating them. */
  closeTimeout?: number
  /** Rooms a client joins on connect, besides `user:{id}`. */
  autoJoin?: (user: RealtimeUser | null, client: RealtimeClient) => Room[] | Promise<Room[]>
  /** Decides client `join` requests (default: any authenticated user may join any non-`user:` room). */
  canJoin?: (user: RealtimeUser | null, room: Room, client: RealtimeClient) => boolean | Promise<boolean>
  /**
   * Per-room history, and recovery of what a client missed while it was away, on both transports
   * (default false). See docs/recovery.md.
   */
  recovery?: RecoveryOptions | boolean
  /**
   * Who is in a room, for the whole cluster, one entry per user, with `presence:join` and
   * `presence:leave` events to its members (default false). See docs/presence.md.
   */
  presence?: PresenceOptions | boolean
}

export interface ResolvedOptions {
  readonly jwt: FastifyJWTOptions | undefined
  readonly auth: {
    readonly required: boolean
    readonly userId: (payload: RealtimeUser) => string | number | undefined | null
    readonly requireExpiry: boolean
    readonly trusted: ((payload: RealtimeUser) => boolean | Promise<boolean>) | undefined
  }
  readonly ws: { readonly path: string } | false
  readonly socketio: ResolvedSocketIoOptions | false
  readonly bus: Bus | undefined
  readonly redis: RedisConnectionOption | undefined
  readonly redisPrefix: string
  readonly clusterRequestTimeout: number
  readonly allowedOrigins: OriginPolicy | undefined
  readonly connectionRateLimit: RateLimit | false
  readonly messageRateLimit: RateLimit | false
  readonly maxBadFrames: number
  readonly heartbeatInterval: number
  readonly maxPayload: number
  readonly maxRoomsPerConnection: number
  readonly maxBufferedBytes: number
  readonly closeTimeout: number
  readonly autoJoin: RealtimeOptions['autoJoin']
  readonly canJoin: NonNullable<RealtimeOptions['canJoin']>
  readonly recovery: ResolvedRecovery | false
  readonly presence: ResolvedPresence | false
}

export interface ResolvedSocketIoOptions extends Readonly<EnginePassThroughOptions> {
  readonly path: string
  readonly namespace: string
  readonly transports: ReadonlyArray<'polling' | 'websocket'>
  readonly maxHttpBufferSize: number
  readonly pingInterval: number
  readonly pingTimeout: number
  readonly upgradeTimeout: number
  readonly connectTimeout: number
  readonly welcome: boolean
}

/** Every option of RealtimeOptions, and what Fastify itself passes a plugin along with them. */
const OPTION_NAMES: ReadonlySet<string> = new Set([
  'jwt', 'auth', 'ws', 'socketio', 'bus', 'redis', 'redisPrefix', 'clusterRequestTimeout', 'allowedOrigins',
  'connectionRateLimit', 'messageRateLimit', 'maxBadFrames', 'heartbeatInterval', 'maxPayload',
  'maxRoomsPerConnection', 'maxBufferedBytes', 'closeTimeout', 'autoJoin', 'canJoin', 'recovery', 'presence',
  'prefix', 'logLevel', 'logSerializers'
])
const AUTH_OPTION_NAMES: ReadonlySet<string> = new Set(['required', 'userId', 'requireExpiry', 'trusted'])
const WS_OPTION_NAMES: ReadonlySet<string> = new Set(['path'])
const RATE_LIMIT_OPTION_NAMES: ReadonlySet<string> = new Set(['max', 'timeWindow'])

const isAuthenticated = (user: RealtimeUser | null): boolean => user !== null
const subjectOf = (payload: RealtimeUser): string | number | undefined => payload.sub

/** Validates options once and returns them frozen with defaults filled in. Throws a coded error naming the bad option. */
export function resolveOptions (options: RealtimeOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'an object')
  refuseUnknownOptions('', options, OPTION_NAMES)
  const auth = optionalObject('auth', options.auth) ?? {}
  refuseUnknownOptions('auth.', auth, AUTH_OPTION_NAMES)
  return Object.freeze({
    jwt: resolveJwt(options.jwt),
    auth: Object.freeze({
      required: optionalBoolean('auth.required', auth.required, true),
      userId: optionalFunction('auth.userId', auth.userId) ?? subjectOf,
      requireExpiry: optionalBoolean('auth.requireExpiry', auth.requireExpiry, true),
      trusted: optionalFunction('auth.trusted', auth.trusted)
    }),
    ws: resolveWs(options.ws),
    bus: optionalObject('bus', options.bus),
    redis: resolveRedis(options),
    redisPrefix: resolvePrefix('redisPrefix', options.redisPrefix),
    clusterRequestTimeout: duration('clusterRequestTimeout', options.clusterRequestTimeout, DEFAULT_CLUSTER_REQUEST_TIMEOUT),
    allowedOrigins: resolveOrigins(options.allowedOrigins),
    connectionRateLimit: resolveRateLimit('connectionRateLimit', options.connectionRateLimit, DEFAULT_CONNECTION_RATE_LIMIT),
    messageRateLimit: resolveRateLimit('messageRateLimit', options.messageRateLimit, DEFAULT_MESSAGE_RATE_LIMIT),
    maxBadFrames: positiveInteger('maxBadFrames', options.maxBadFrames, DEFAULT_MAX_BAD_FRAMES),
    heartbeatInterval: duration('heartbeatInterval', options.heartbeatInterval, DEFAULT_HEARTBEAT_INTERVAL),
    maxPayload: positiveInteger('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD),
    maxRoomsPerConnection: positiveInteger('maxRoomsPerConnection', options.maxRoomsPerConnection, DEFAULT_MAX_ROOMS_PER_CONNECTION),
    maxBufferedBytes: positiveInteger('maxBufferedBytes', options.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES),
    closeTimeout: duration('closeTimeout', options.closeTimeout, DEFAULT_CLOSE_TIMEOUT),
    // After maxPayload and heartbeatInterval, which have been validated by the time this runs.
    socketio: resolveSocketIo(options.socketio, {
      maxHttpBufferSize: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      pingInterval: options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL
    }),
    autoJoin: optionalFunction('autoJoin', options.autoJoin),
    canJoin: optionalFunction('canJoin', options.canJoin) ?? isAuthenticated,
    recovery: resolveRecovery(options.recovery),
    presence: resolvePresence(options.presence)
  })
}

function resolveJwt (jwt: RealtimeOptions['jwt']): ResolvedOptions['jwt'] {
  // @fastify/jwt applies `trusted` in request.jwtVerify() only; realtime tokens (from a subprotocol,
  // a CONNECT packet or a refresh frame) are verified without it, so a revocation check there would
  // silently never run.
  if (optionalObject('jwt', jwt)?.trusted !== undefined) throw invalidOption('jwt.trusted', 'left out: it is not called for realtime tokens; use auth.trusted(payload)')
  if (jwt === undefined) return undefined
  // Refused here rather than by @fastify/jwt's assertion, so an unset JWT_SECRET reads as what it is.
  if (jwt.secret === undefined || jwt.secret === null || jwt.secret === '') throw invalidOption('jwt.secret', 'set (a secret, a key pair or a key-fetching function): is JWT_SECRET unset?')
  return { ...jwt, secret: jwt.secret }
}

function resolveWs (ws: RealtimeOptions['ws']): ResolvedOptions['ws'] {
  if (ws === false) return false
  const given = optionalObject('ws', ws) ?? {}
  refuseUnknownOptions('ws.', given, WS_OPTION_NAMES)
  const path = given.path ?? DEFAULT_WS_PATH
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalidOption('ws.path', 'a path starting with "/"')
  return Object.freeze({ path })
}

const SOCKETIO_OPTION_NAMES: ReadonlySet<string> = new Set([
  'path', 'namespace', 'transports', 'maxHttpBufferSize', 'pingInterval', 'pingTimeout', 'upgradeTimeout', 'connectTimeout', 'welcome',
  'allowRequest', 'allowUpgrades', 'cookie', 'cors', 'httpCompression'
])
const SOCKETIO_TRANSPORTS = new Set(['polling', 'websocket'])

function resolveSocketIo (socketio: RealtimeOptions['socketio'], inherited: { maxHttpBufferSize: number, pingInterval: number }): ResolvedOptions['socketio'] {
  if (socketio === false) return false
  const given = optionalObject('socketio', socketio) ?? {}
  // Options we do not pass on (adapter, parser, perMessageDeflate, allowEIO3, …) would break the
  // shared rooms or the security defaults; refuse them rather than ignore them silently.
  refuseUnknownOptions('socketio.', given, SOCKETIO_OPTION_NAMES)
  const path = given.path ?? DEFAULT_SOCKETIO_PATH
  // engine.io serves `${path}/`; a trailing slash in the option is the same path.
  const trimmedPath = typeof path === 'string' ? path.replace(/\/+$/, '') : ''
  if (!/^\/[^?#]+$/.test(trimmedPath)) throw invalidOption('socketio.path', 'a path starting with "/", other than "/"')
  const namespace = given.namespace ?? DEFAULT_SOCKETIO_NAMESPACE
  if (typeof namespace !== 'string' || !/^\/[^?#,]*$/.test(namespace)) throw invalidOption('socketio.namespace', 'a namespace name starting with "/"')
  const transports = given.transports ?? ['polling', 'websocket']
  if (!Array.isArray(transports) || transports.length === 0 || !transports.every((name) => SOCKETIO_TRANSPORTS.has(name))) {
    throw invalidOption('socketio.transports', 'a non-empty array of "polling" and/or "websocket"')
  }
  return Object.freeze({
    path: trimmedPath,
    namespace,
    transports: Object.freeze([...new Set(transports)]),
    maxHttpBufferSize: positiveInteger('socketio.maxHttpBufferSize', given.maxHttpBufferSize, inherited.maxHttpBufferSize),
    pingInterval: duration('socketio.pingInterval', given.pingInterval, inherited.pingInterval),
    pingTimeout: duration('socketio.pingTimeout', given.pingTimeout, DEFAULT_SOCKETIO_PING_TIMEOUT),
    upgradeTimeout: duration('socketio.upgradeTimeout', given.upgradeTimeout, DEFAULT_SOCKETIO_UPGRADE_TIMEOUT),
    connectTimeout: duration('socketio.connectTimeout', given.connectTimeout, DEFAULT_SOCKETIO_CONNECT_TIMEOUT),
    welcome: optionalBoolean('socketio.welcome', given.welcome, true),
    allowRequest: optionalFunction('socketio.allowRequest', given.allowRequest),
    allowUpgrades: optionalBoolean('socketio.allowUpgrades', given.allowUpgrades, true),
    cookie: given.cookie,
    cors: given.cors,
    httpCompression: given.httpCompression
  })
}

function resolveRedis (options: RealtimeOptions): RedisConnectionOption | undefined {
  if (options.redis === undefined) return undefined
  if (options.bus !== undefined) throw invalidOption('redis', 'unset when "bus" is given (a bus carries its own connection)')
  return checkRedisOption('redis', options.redis)
}

function resolveOrigins (origins: OriginPolicy | undefined): OriginPolicy | undefined {
  if (origins === undefined || typeof origins === 'function') return origins
  if (!Array.isArray(origins) || !origins.every((origin) => typeof origin === 'string')) {
    throw invalidOption('allowedOrigins', 'an array of origin strings or a predicate function')
  }
  // Browsers send `Origin` as scheme://host[:port], nothing more: an entry written any other way
  // ('https://app.example/', 'app.example') would never match, and refuse every browser.
  const unmatchable = origins.find((origin) => !isSerializedOrigin(origin))
  if (unmatchable !== undefined) throw invalidOption('allowedOrigins', `origins as browsers send them (scheme://host[:port], no path), not ${JSON.stringify(unmatchable)}`)
  return Object.freeze([...origins])
}

// An app's own scheme (capacitor://localhost, chrome-extension://<id>): URL gives these no origin.
const OTHER_SCHEME_ORIGIN = /^[a-z][a-z\d+.-]*:\/\/[^/?#\s]+$/

function isSerializedOrigin (origin: string): boolean {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin === origin : OTHER_SCHEME_ORIGIN.test(origin)
}

function resolveRateLimit (name: string, value: RateLimit | false | undefined, fallback: RateLimit): RateLimit | false {
  if (value === false) return false
  if (value === undefined) return Object.freeze({ ...fallback })
  if (typeof value !== 'object' || value === null) throw invalidOption(name, 'an object { max, timeWindow } or false')
  refuseUnknownOptions(`${name}.`, value, RATE_LIMIT_OPTION_NAMES)
  return Object.freeze({
    max: positiveInteger(`${name}.max`, value.max, undefined),
    timeWindow: duration(`${name}.timeWindow`, value.timeWindow, undefined)
  })
}
