import { once } from 'node:events'
import net from 'node:net'

/** A raw TCP client that sends a request a little at a time, as a slowloris client would. */
export interface Trickle {
  /** Resolves with how long the server let the socket live, or rejects after `timeoutMs`. */
  closedWithin: (timeoutMs: number) => Promise<number>
  /** Everything the server answered. */
  received: () => string
}

/**
 * Connects, writes `head` at once, then one chunk of `drip` every `everyMs` (at most `maxDrips`
 * times, so the loop is bounded whatever the server does) until the server closes the socket.
 */
export async function trickle (port: number, head: string, drip: string, everyMs: number, maxDrips: number): Promise<Trickle> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  const started = Date.now()
  let answer = ''
  socket.on('data', (chunk: Buffer) => { answer += chunk.toString('latin1') })
  const closed = once(socket, 'close').then(() => Date.now() - started)
  socket.write(head)
  let drips = 0
  const timer = setInterval(() => {
    if (socket.destroyed || ++drips > maxDrips) {
      clearInterval(timer)
      return
    }
    socket.write(drip)
  }, everyMs)
  void closed.then(() => { clearInterval(timer) })
  return {
    closedWithin: async (timeoutMs) => {
      let deadline: NodeJS.Timeout | undefined
      try {
        return await Promise.race([closed, new Promise<never>((_resolve, reject) => {
          deadline = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs)
        })])
      } finally {
        clearTimeout(deadline)
        clearInterval(timer)
        socket.destroy()
      }
    },
    received: () => answer
  }
}
