import type { Duplex } from 'node:stream'
import { frameTextParts } from '../../internals/ws'

/**
 * A complete server-to-client text frame (header and payload in one buffer), made once and written
 * as-is to every recipient's socket instead of letting ws frame the same message per recipient.
 */
export function frameText (text: string): Buffer {
  const parts = frameTextParts(Buffer.from(text))
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
