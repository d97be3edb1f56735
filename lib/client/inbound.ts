import type { FrameId, WelcomePayload } from '../protocol/frames'
import type { Room } from '../types'
import { decodeServerFrame } from './client-codec'
import { RealtimeClientError } from './errors'
import { CLIENT_LIFECYCLE_EVENTS } from '../protocol/names'

/** What the client does with each kind of server frame. */
export interface InboundHandlers {
  welcome: (welcome: WelcomePayload) => void
  event: (event: string, data: unknown, room: Room | undefined) => void
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
      handlers.welcome({ connectionId: frame.connectionId, user: frame.user, rooms: frame.rooms })
      return
    case 'event':
      if (CLIENT_LIFECYCLE_EVENTS.has(frame.event)) {
        handlers.report(new RealtimeClientError('PROTOCOL_ERROR', `The server sent an event named "${frame.event}", a name the client reserves`))
      } else {
        handlers.event(frame.event, frame.data, frame.room)
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

/**
 * Rejects the request an error answers, or reports the error when it names none. An error for a
 * request no longer waiting (it timed out) is dropped, like a late ack: the caller has been told.
 */
function refuse (handlers: InboundHandlers, id: FrameId | undefined, error: RealtimeClientError): void {
  if (id === undefined) handlers.report(error)
  else handlers.answer(id, { ok: false, error })
}
