/**
 * fastify-realtime/client: a client for the plugin's raw WebSocket JSON protocol that runs in
 * browsers and in Node. It has no dependencies: it uses the global `WebSocket`, or the constructor
 * passed as the `WebSocket` option (in Node before 22, the `ws` package's).
 */
export { Client, createClient } from './client'
export { RealtimeClientError, type ClientErrorCode, type LocalErrorCode, type CloseDetails } from './errors'
export { backoffDelay, type ReconnectPolicy } from './backoff'
export { isRecoverableClose } from './close-codes'
export { CLOSE_CODE_TABLE, reconnectRule, type ReconnectRule } from '../protocol/codes'
export { DEFAULT_ACK_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RECONNECT, type ClientOptions } from './client-options'
export type {
  LifecycleEvents, DisconnectEvent, ReconnectingEvent, ReconnectEvent, ReconnectFailedEvent, RecoveredEvent, WelcomePayload,
  EventsMap, DefaultEventsMap, EventNames, EventData, EventAck, ServerEventListener, LifecycleListener
} from './events'
export type { StreamPosition, EventPosition } from './positions'
export type { TokenSource } from './token'
export type { Timers } from './timers'
export type { WebSocketLike, WebSocketConstructor } from './websocket-like'
export type { FrameId } from '../protocol/frames'
export type { PresenceSnapshot, PresenceEntry, PresenceConnection, PresenceStats, PresenceInfo, PresenceJoinData, PresenceLeaveData } from '../protocol/presence'
export type { WireErrorCode } from '../protocol/codes'
export type { Room, RealtimeUser } from '../types'
