/** Wire protocol v1 of the raw WebSocket endpoint: one JSON object per text frame. */
import type { WireErrorCode } from './codes'
import type { StreamPosition, StreamStamp } from '../recovery/stream-position'
import type { ConnectionId, RealtimeUser, Room } from '../types'

/** Correlates a client frame with the server's `ack`, `error` or `pong`. */
export type FrameId = string | number

export type ClientFrame =
  | { type: 'join', room: Room, id?: FrameId }
  | { type: 'leave', room: Room, id?: FrameId }
  | { type: 'emit', event: string, data: unknown, id?: FrameId }
  | { type: 'ping', id?: FrameId }
  | { type: 'auth', token: string, id?: FrameId }
  /** A member asks for a room's presence (the `presence` option); the ack's data is a PresenceSnapshot. */
  | { type: 'presence', room: Room, id?: FrameId }

export type ServerFrame =
  | {
    type: 'welcome'
    connectionId: ConnectionId
    user: RealtimeUser | null
    rooms: Room[]
    /** With `recovery`: for each room with history, the position its events follow. */
    positions?: Record<Room, StreamPosition>
    /** With `recovery`, after a resume: per room asked for, whether its missed events follow. */
    resumed?: Record<Room, boolean>
  }
  | { type: 'event', event: string, data: unknown, room?: Room, position?: StreamStamp }
  | { type: 'ack', id: FrameId, data: unknown }
  | { type: 'error', id?: FrameId, code: WireErrorCode, message: string }
  | { type: 'pong', id?: FrameId }

export type WelcomePayload = Omit<Extract<ServerFrame, { type: 'welcome' }>, 'type'>
