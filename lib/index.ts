/**
 * The package's entry. `require('fastify-realtime')` returns the plugin itself, carrying every
 * named export (as `default` too), and the declarations say exactly that (`export =` of the plugin
 * merged with a namespace, as @fastify/* plugins declare theirs): so `import realtime from
 * 'fastify-realtime'` is the plugin under node16/nodenext ESM, bundler resolution and
 * esModuleInterop alike, and so is `require()` in a `// @ts-check` JavaScript file.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import * as redactLog from './auth/redact-log'
import * as token from './auth/token'
import type * as bus from './bus/bus'
import type * as envelope from './bus/envelope'
import * as memoryBus from './bus/memory-bus'
import * as redisBus from './bus/redis-bus'
import type * as redisConnections from './bus/redis-connections'
import * as errors from './errors'
import * as broadcastOperator from './hub/broadcast-operator'
import type * as connectionHooks from './hub/connection-hooks'
import type * as eventHandlers from './hub/event-handlers'
import type * as resume from './hub/resume'
import type * as realtimeClient from './hub/realtime-client'
import type * as options from './options'
import { realtimePlugin } from './plugin'
import * as codes from './protocol/codes'
import type * as frames from './protocol/frames'
import type * as presence from './protocol/presence'
import type * as presenceOptions from './presence/presence-options'
import * as realtime from './realtime'
import type * as recoveryOptions from './recovery/recovery-options'
import type * as roomHistory from './recovery/room-history'
import type * as streamPosition from './recovery/stream-position'
import type * as typedEvents from './typed-events'
import type * as types from './types'

declare module 'fastify' {
  interface FastifyInstance {
    realtime: realtime.Realtime<
      typedEvents.DeclaredOrDefault<fastifyRealtime.ServerToClientEvents>,
      typedEvents.DeclaredOrDefault<fastifyRealtime.ClientToServerEvents>
    >
  }
}

/** The plugin: register it with `app.register(realtime, options)`. */
function fastifyRealtime (fastify: FastifyInstance, options: options.RealtimeOptions): Promise<void> {
  return realtimePlugin(fastify, options)
}

/** The plugin with its named exports: what `require('fastify-realtime')` returns. */
type Package = typeof fastifyRealtime

// Types only: the values are assigned below, where Node's ESM loader can read their names.
// A namespace merged with the plugin is how `export =` carries named exports and types.
declare namespace fastifyRealtime {
  /**
   * The events the server sends, declared by the app as Socket.IO users declare them:
   * `declare module 'fastify-realtime' { interface ServerToClientEvents { 'order:shipped': (data: { id: string }) => void } }`.
   * Once declared, `app.realtime`, `to()`, `except()`, `toUser()` and `client.to()` take only these.
   * The same interface types a socket.io-client `Socket<ServerToClientEvents, ClientToServerEvents>`
   * and `createClient<ServerToClientEvents, ClientToServerEvents>()`.
   */
  // Empty until the app declares its events.
  export interface ServerToClientEvents {}
  /**
   * The events clients send, with their acks: `'chat:send': (data: D, ack: (res: R) => void) => void`.
   * Once declared, `app.realtime.on(event, handler)` takes only these, types `data` and requires
   * the handler's result to be `R`.
   */
  // Empty until the app declares its events.
  export interface ClientToServerEvents {}

  export const fastifyRealtime: Package
  export { fastifyRealtime as default }

  export import Realtime = realtime.Realtime
  export import BroadcastOperator = broadcastOperator.BroadcastOperator
  export import MemoryBroker = memoryBus.MemoryBroker
  export import MemoryBus = memoryBus.MemoryBus
  export import RedisBus = redisBus.RedisBus
  export import RealtimeError = errors.RealtimeError
  export import RealtimeConfigError = errors.RealtimeConfigError
  export const WIRE_ERRORS: typeof errors.WIRE_ERRORS
  export const CLOSE_CODES: typeof errors.CLOSE_CODES
  export const CLOSE_CODE_TABLE: typeof codes.CLOSE_CODE_TABLE
  export const reconnectRule: typeof codes.reconnectRule
  export const WS_SUBPROTOCOL: typeof token.WS_SUBPROTOCOL
  export const BEARER_SUBPROTOCOL_PREFIX: typeof token.BEARER_SUBPROTOCOL_PREFIX
  export const redactTokenFromUrl: typeof redactLog.redactTokenFromUrl

  export type RealtimeClient<ServerEvents extends typedEvents.EventsMap = typedEvents.DeclaredOrDefault<ServerToClientEvents>> = realtimeClient.RealtimeClient<ServerEvents>
  export type EventHandler<Data = unknown> = eventHandlers.EventHandler<Data, typedEvents.DeclaredOrDefault<ServerToClientEvents>>
  export type TypedSocketIoServer<ServerEvents extends typedEvents.EventsMap, ClientEvents extends typedEvents.EventsMap> = realtime.TypedSocketIoServer<ServerEvents, ClientEvents>
  export type EventsMap = typedEvents.EventsMap
  export type DefaultEventsMap = typedEvents.DefaultEventsMap
  export type DeclaredOrDefault<Events extends EventsMap> = typedEvents.DeclaredOrDefault<Events>
  export type EventNames<Events extends EventsMap> = typedEvents.EventNames<Events>
  export type EventData<Events extends EventsMap, E extends keyof Events> = typedEvents.EventData<Events, E>
  export type EventAck<Events extends EventsMap, E extends keyof Events> = typedEvents.EventAck<Events, E>
  export type Bus = bus.Bus
  export type BusNode = bus.BusNode
  export type BusStatus = bus.BusStatus
  export type EnvelopeListener = bus.EnvelopeListener
  export type Envelope = envelope.Envelope
  export type EmitEnvelope = envelope.EmitEnvelope
  export type EmitTarget = envelope.EmitTarget
  export type Selection = envelope.Selection
  export type RoutedEnvelope = envelope.RoutedEnvelope
  export type NodeEnvelope = envelope.NodeEnvelope
  export type ClusterQuery = envelope.ClusterQuery
  export type QueryAnswers = envelope.QueryAnswers
  export type RedisBusOptions = redisBus.RedisBusOptions
  export type RedisClient = redisConnections.RedisClient
  export type RedisConnectionOption = redisConnections.RedisConnectionOption
  export type WireErrorCode = errors.WireErrorCode
  export type ReconnectRule = codes.ReconnectRule
  export type RealtimeOptions = options.RealtimeOptions
  export type AuthOptions = options.AuthOptions
  export type RateLimit = options.RateLimit
  export type OriginPolicy = options.OriginPolicy
  export type SocketIoOptions = options.SocketIoOptions
  export type ClientFrame = frames.ClientFrame
  export type ServerFrame = frames.ServerFrame
  export type FrameId = frames.FrameId
  export type WelcomePayload = frames.WelcomePayload
  export type Room = types.Room
  export type ConnectionId = types.ConnectionId
  export type NodeId = types.NodeId
  export type TransportName = types.TransportName
  export type RealtimeUser = types.RealtimeUser
  export type DefaultRealtimeUser = types.DefaultRealtimeUser
  export type Identity = types.Identity
  export type RecoveryOptions = recoveryOptions.RecoveryOptions
  export type StreamPosition = streamPosition.StreamPosition
  export type StreamStamp = streamPosition.StreamStamp
  export type HistoryOptions = roomHistory.HistoryOptions
  export type HistoryEvent = roomHistory.HistoryEvent
  export type RoomHistoryPage = roomHistory.RoomHistoryPage
  export type RecoveryCounters = resume.RecoveryCounters
  export type DisconnectInfo = connectionHooks.DisconnectInfo
  export type ConnectionHook<ServerEvents extends typedEvents.EventsMap = typedEvents.DeclaredOrDefault<ServerToClientEvents>> = connectionHooks.ConnectionHook<ServerEvents>
  export type DisconnectHook<ServerEvents extends typedEvents.EventsMap = typedEvents.DeclaredOrDefault<ServerToClientEvents>> = connectionHooks.DisconnectHook<ServerEvents>
  export type PresenceOptions = presenceOptions.PresenceOptions
  export type PresenceInfo = presence.PresenceInfo
  export type PresenceConnection = presence.PresenceConnection
  export type PresenceEntry = presence.PresenceEntry
  export type PresenceStats = presence.PresenceStats
  export type PresenceJoinData = presence.PresenceJoinData
  export type PresenceLeaveData = presence.PresenceLeaveData
}

// Sets what Fastify reads (skip-override, name, version range) and `default`/`fastifyRealtime` on the function.
fp(fastifyRealtime, { fastify: '5.x', name: 'fastify-realtime' })

// Node's ESM loader finds a CommonJS module's named exports by reading its source (cjs-module-lexer),
// not by running it: it finds them in this object literal of plain identifiers, which then goes onto the plugin.
const { Realtime } = realtime
const { BroadcastOperator } = broadcastOperator
const { MemoryBroker, MemoryBus } = memoryBus
const { RedisBus } = redisBus
const { RealtimeError, RealtimeConfigError, WIRE_ERRORS, CLOSE_CODES } = errors
const { CLOSE_CODE_TABLE, reconnectRule } = codes
const { WS_SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX } = token
const { redactTokenFromUrl } = redactLog
module.exports = {
  fastifyRealtime,
  Realtime,
  BroadcastOperator,
  MemoryBroker,
  MemoryBus,
  RedisBus,
  RealtimeError,
  RealtimeConfigError,
  WIRE_ERRORS,
  CLOSE_CODES,
  CLOSE_CODE_TABLE,
  reconnectRule,
  WS_SUBPROTOCOL,
  BEARER_SUBPROTOCOL_PREFIX,
  redactTokenFromUrl
}
Object.assign(fastifyRealtime, module.exports)

export = fastifyRealtime
