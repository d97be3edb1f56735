import { PacketType } from 'socket.io-parser'
import type { OutboundEvent } from '../../hub/outbound-event'
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
  const prefix = String(PacketType.EVENT) + (namespace === '/' ? '' : `${namespace},`)
  return function encodeEventPacket (message) {
    const packet = `${prefix}[${JSON.stringify(message.event)},${message.dataJson}]`
    return { packet, options: { compress: true, wsPreEncodedFrame: [frameText(ENGINE_MESSAGE + packet)] } }
  }
}
