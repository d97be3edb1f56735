import WebSocket from 'ws'

/*
 * The one internal of ws used here: `WebSocket.Sender.frame`, the static framing function of ws's
 * Sender. ws exports the Sender but @types/ws does not declare it. Checked against ws 8.23.0
 * (package.json: ^8.23.0); test/internals.test.ts fails when an upgrade removes it or changes what
 * it returns.
 */

interface FrameOptions {
  fin: boolean
  rsv1: boolean
  opcode: number
  mask: boolean
  readOnly: boolean
}

interface SenderStatics {
  frame: (data: Buffer, options: FrameOptions) => Buffer[]
}

const { Sender } = WebSocket as unknown as { Sender: SenderStatics }

const TEXT_FRAME: FrameOptions = { fin: true, rsv1: false, opcode: 0x1, mask: false, readOnly: false }

/** A server-to-client (unmasked, uncompressed, final) text frame of `payload`, as header and payload parts. */
export function frameTextParts (payload: Buffer): Buffer[] {
  return Sender.frame(payload, TEXT_FRAME)
}
