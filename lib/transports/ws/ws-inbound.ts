import { RealtimeError } from '../../errors'
import type { Gateway } from '../../gateway'
import type { Connection } from '../../hub/connection'
import type { Handling } from '../../hub/inbound-queue'
import { asRealtimeError } from '../../hub/request-error'
import { requestPresence } from '../../presence/presence-request'
import { decodeClientFrame } from '../../protocol/codec'
import type { ClientFrame, FrameId, ServerFrame } from '../../protocol/frames'
import type { Identity } from '../../types'
import { sendAck as sendAckOf } from '../send-ack'

/** What handling a frame needs from its ws connection. */
export interface FrameConnection extends Connection {
  readonly gateway: Gateway
  send: (frame: ServerFrame) => void
  sendError: (id: FrameId | undefined, error: RealtimeError) => void
  /** Counts a malformed frame (closing past `maxBadFrames`) and answers it. */
  rejectBadFrame: (id: FrameId | undefined, message: string) => void
  refreshIdentity: (identity: Identity) => void
}

/**
 * Handles one inbound frame of the JSON protocol; every outcome is answered with a frame. Returns
 * the handling of a frame the frames behind it must wait for (see InboundQueue).
 */
export function handleFrame (connection: FrameConnection, data: Buffer, isBinary: boolean): Handling | undefined {
  if (isBinary) {
    connection.rejectBadFrame(undefined, 'Binary frames are not supported; send JSON text frames')
    return undefined
  }
  const result = decodeClientFrame(data.toString())
  if (!result.ok) {
    connection.rejectBadFrame(result.id, result.message)
    return undefined
  }
  return handleClientFrame(connection, result.frame)
}

function handleClientFrame (connection: FrameConnection, frame: ClientFrame): Handling | undefined {
  switch (frame.type) {
    case 'ping':
      connection.send(frame.id === undefined ? { type: 'pong' } : { type: 'pong', id: frame.id })
      return undefined
    case 'emit':
      connection.gateway.handlers.dispatch(connection, frame.event, frame.data).then(
        (result) => { if (frame.id !== undefined) sendAck(connection, frame.id, result) },
        (err: RealtimeError) => connection.sendError(frame.id, err)
      )
      return undefined
    case 'leave':
      try {
        connection.gateway.rooms.requestLeave(connection, frame.room)
        if (frame.id !== undefined) sendAck(connection, frame.id, { room: frame.room })
      } catch (err) {
        connection.sendError(frame.id, err as RealtimeError)
      }
      return undefined
    case 'auth': {
      // Later frames wait, so they are handled under the refreshed identity.
      const done = connection.gateway.authenticator.identify(frame.token)
        .then((identity) => {
          connection.refreshIdentity(identity)
          if (frame.id !== undefined) sendAck(connection, frame.id, { expiresAt: identity.expiresAt })
        })
        .catch((err: unknown) => connection.sendError(frame.id, asRealtimeError(connection.gateway, connection.id, err, 'a client request failed')))
      return { done, holdsQueue: true }
    }
    case 'presence':
      // Frames behind it need not wait: it changes nothing.
      requestPresence(connection, frame.room).then(
        (snapshot) => { if (frame.id !== undefined) sendAck(connection, frame.id, snapshot) },
        (err: unknown) => connection.sendError(frame.id, asRealtimeError(connection.gateway, connection.id, err, 'a presence request failed'))
      )
      return undefined
    case 'join': {
      // Frames behind a join wait for it, so a client that joins and then emits sees its join applied.
      const done = connection.gateway.rooms.requestJoin(connection, frame.room)
        .then(
          (position) => { if (frame.id !== undefined) sendAck(connection, frame.id, position === undefined ? { room: frame.room } : { room: frame.room, position }) },
          (err: unknown) => connection.sendError(frame.id, asRealtimeError(connection.gateway, connection.id, err, 'a client request failed'))
        )
      return { done, holdsQueue: true }
    }
  }
}

function sendAck (connection: FrameConnection, id: FrameId, data: unknown): void {
  sendAckOf(connection, () => { connection.send({ type: 'ack', id, data }) }, (error) => { connection.sendError(id, error) })
}
