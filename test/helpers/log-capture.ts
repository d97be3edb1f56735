import { Writable } from 'node:stream'

/** A pino destination that keeps every line written, so a test can search the app's whole log. */
export function captureLogs (): { stream: Writable, lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''))
      done()
    }
  })
  return { stream, lines }
}
