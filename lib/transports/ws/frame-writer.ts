import type { Duplex } from 'node:stream'
import WebSocket from 'ws'

interface FrameOptions {
  fin: boolean
  rsv1: boolean
  opcode: number
  mask: boolean
  readOnly: boolean
}

// ws exports its Sender (the framing half of the protocol) but @types/ws does not declare it.
const { Sender } = WebSocket as unknown as { Sender: { frame: (data: Buffer, options: FrameOptions) => Buffer[] } }

const TEXT_FRAME: FrameOptions = { fin: true, rsv1: false, opcode: 0x1, mask: false, readOnly: false }

/**
 * A complete server-to-client text frame (header and payload in one buffer), made once and written
 * as-is to every recipient's socket instead of letting ws frame the same message per recipient.
 */
export function frameText (text: string): Buffer {
  const parts = Sender.frame(Buffer.from(text), TEXT_FRAME)
  return parts.length === 1 ? parts[0] : Buffer.concat(parts)
}

/*
 * Coalescing. Fan-out cost is dominated by write syscalls, so every socket written to during one
 * turn of the event loop is corked on its first write and uncorked once, on the next tick: all of
 * that turn's frames leave in one writev per socket, in the order they were written, with no delay
 * beyond the end of the current turn.
 */
let corked: Duplex[] = []
let flushScheduled = false

function flushCorked (): void {
  const sockets = corked
  corked = []
  flushScheduled = false
  for (const socket of sockets) socket.uncork()
}

/** Writes a pre-made frame; frames written in one turn reach the socket together at its end. */
export function writeCoalesced (socket: Duplex, frame: Buffer): void {
  if (socket.writableCorked === 0) {
    socket.cork()
    corked.push(socket)
    if (!flushScheduled) {
      flushScheduled = true
      process.nextTick(flushCorked)
    }
  }
  socket.write(frame)
}
