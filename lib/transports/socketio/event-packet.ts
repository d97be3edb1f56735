import { PacketType } from 'socket.io-parser'
import type { OutboundEvent } from '../../hub/outbound-event'
import { RESET_EVENT } from '../../protocol/names'
import type { TokenIssuer } from '../../recovery/socketio-token'
import { isStreamPosition, type StreamPosition } from '../../recovery/stream-position'
import type { Room } from '../../types'
import { frameText } from '../ws/frame-writer'

// engine.io's packet type for a message; it prefixes every Socket.IO packet on the wire.
const ENGINE_MESSAGE = '4'

/** A Socket.IO packet encoded once for every recipient, with the options engine.io writes it with. */
export interface EncodedPacket {
  readonly packet: string
  /**
   * Shared by every recipient, like socket.io-adapter's broadcast options. `wsPreEncodedFrame`
   * is the complete WebSocket frame (as the list ws's sender takes), so engine.io writes it as-is
   * to WebSocket clients instead of framing the packet once per socket. `compress` is engine.io's default, spelled out. Not
   * frozen: engine.io writes `compress` on it.
   */
  readonly options: { compress: boolean, wsPreEncodedFrame: Buffer[] }
}

export type EventPacketEncoder = (message: OutboundEvent) => EncodedPacket

/**
 * The encoder for one namespace, used as the `encodeOnce` key: the packet is what socket.io-parser
 * makes of `{ type: EVENT, nsp, data: [event, data] }`, assembled around the data the hub has
 * already serialised (the parser would stringify it again for every emit).
 */
export function createEventPacketEncoder (namespace: string): EventPacketEncoder {
  const prefix = packetPrefix(namespace)
  return function encodeEventPacket (message) {
    return encoded(`${prefix}[${JSON.stringify(message.event)},${message.dataJson}]`)
  }
}

/** A packet of the recovery encoder, with what the connection's session log needs to know of it. */
export interface TokenedPacket extends EncodedPacket {
  /** The number the token took of the node's sequence, for a message without a position. */
  readonly seq: number | undefined
  /** For a `recovery:reset` of the hub: the room and the position its events now follow. */
  readonly reset: { readonly room: Room, readonly position: StreamPosition } | undefined
}

export type TokenedPacketEncoder = (message: OutboundEvent) => TokenedPacket

/**
 * The encoder with `recovery` on: every event packet ends with a token, the offset socket.io-client
 * keeps and sends back when it reconnects (see recovery/socketio-token). An event of a room with
 * history takes its token from its position, the same for every recipient; any other takes the
 * next number of the node's sequence, once per message. Still encoded once per message for every
 * recipient on the node.
 */
export function createTokenedPacketEncoder (namespace: string, issuer: TokenIssuer): TokenedPacketEncoder {
  const prefix = packetPrefix(namespace)
  return function encodeTokenedPacket (message) {
    const { position } = message
    let token: string
    let seq: number | undefined
    if (position === undefined) {
      ({ seq, token } = issuer.take())
    } else {
      token = issuer.ofPosition(position.epoch, position.offset)
    }
    // Tokens are made of [\w.-]: nothing to escape.
    const packet = encoded(`${prefix}[${JSON.stringify(message.event)},${message.dataJson},"${token}"]`)
    return { ...packet, seq, reset: position === undefined ? resetOf(message) : undefined }
  }
}

function packetPrefix (namespace: string): string {
  return String(PacketType.EVENT) + (namespace === '/' ? '' : `${namespace},`)
}

function encoded (packet: string): EncodedPacket {
  return { packet, options: { compress: true, wsPreEncodedFrame: [frameText(ENGINE_MESSAGE + packet)] } }
}

/** The room and position of a hub `recovery:reset` (`{ room, position }`, sent to the room's members). */
function resetOf (message: OutboundEvent): TokenedPacket['reset'] {
  if (message.event !== RESET_EVENT || message.room === undefined) return undefined
  let data: unknown
  try {
    data = JSON.parse(message.dataJson)
  } catch {
    return undefined
  }
  const { room, position } = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>
  if (room !== message.room || !isStreamPosition(position)) return undefined
  return { room, position: { offset: position.offset, epoch: position.epoch } }
}
