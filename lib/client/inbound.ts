import type { FrameId } from '../protocol/frames'
import type { Room } from '../types'
import { decodeServerFrame, type InboundFrame } from './client-codec'
import { RealtimeClientError } from './errors'
import type { WelcomePayload } from './events'
import type { EventPosition, StreamPosition } from './positions'
import { resetNotice } from './recovery-fields'
import { CLIENT_LIFECYCLE_EVENTS, RESET_EVENT } from '../protocol/names'

/** What the client does with each kind of server frame. */
export interface InboundHandlers {
  welcome: (welcome: WelcomePayload) => void
  event: (event: string, data: unknown, room: Room | undefined, position: EventPosition | undefined) => void
  /** A `recovery:reset` notice: the server lost `room`'s stream; its events after `position` follow. */
  reset: (room: Room, position: StreamPosition) => void
  /** Settles the request sent with `id`; false when none is waiting (unknown, or timed out). */
  answer: (id: FrameId, outcome: { ok: true, value: unknown } | { ok: false, error: RealtimeClientError }) => boolean
  /** Something the server sent that answers no request: an `error` frame without id, an unreadable frame. */
  report: (error: RealtimeClientError) => void
}

/** Decodes one message of the current socket and hands it to the matching handler. */
export function handleInbound (data: unknown, handlers: InboundHandlers): void {
  if (typeof data !== 'string') {
    handlers.report(new RealtimeClientError('PROTOCOL_ERROR', 'The server sent a binary frame'))
    return
  }
  const result = decodeServerFrame(data)
  if (!result.ok) {
    refuse(handlers, result.id, new RealtimeClientError('PROTOCOL_ERROR', result.message))
    return
  }
  const frame = result.frame
  switch (frame.type) {
    case 'welcome':
      handlers.welcome(welcomePayload(frame))
      return
    case 'event':
      if (frame.event === RESET_EVENT) {
        reset(handlers, frame.data)
      } else if (CLIENT_LIFECYCLE_EVENTS.has(frame.event)) {
        handlers.report(new RealtimeClientError('PROTOCOL_ERROR', `The server sent an event named "${frame.event}", a name the client reserves`))
      } else {
        handlers.event(frame.event, frame.data, frame.room, frame.position)
      }
      return
    case 'ack':
      // An ack after its request timed out is dropped: the caller has already been told.
      handlers.answer(frame.id, { ok: true, value: frame.data })
      return
    case 'pong':
      if (frame.id !== undefined) handlers.answer(frame.id, { ok: true, value: undefined })
      return
    case 'error':
      refuse(handlers, frame.id, new RealtimeClientError(frame.code, frame.message))
  }
}

/** The welcome as listeners get it: recovery's fields only when the server sent them, so a server without recovery gives the same payload as ever. */
function welcomePayload (frame: Extract<InboundFrame, { type: 'welcome' }>): WelcomePayload {
  const welcome: WelcomePayload = { connectionId: frame.connectionId, user: frame.user, rooms: frame.rooms }
  if (frame.positions !== undefined) welcome.positions = frame.positions
  if (frame.resumed !== undefined) welcome.resumed = frame.resumed
  return welcome
}

/** `recovery:reset` is the server's notice to the client itself, never an app event. */
function reset (handlers: InboundHandlers, data: unknown): void {
  const notice = resetNotice(data)
  if (notice === undefined) handlers.report(new RealtimeClientError('PROTOCOL_ERROR', `The server sent a "${RESET_EVENT}" event whose data is not { room, position }`))
  else handlers.reset(notice.room, notice.position)
}

/**
 * Rejects the request an error answers, or reports the error when it names none. An error for a
 * request no longer waiting (it timed out) is dropped, like a late ack: the caller has been told.
 */
function refuse (handlers: InboundHandlers, id: FrameId | undefined, error: RealtimeClientError): void {
  if (id === undefined) handlers.report(error)
  else handlers.answer(id, { ok: false, error })
}
