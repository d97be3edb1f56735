import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'

/**
 * A hand-driven WebSocket client over a plain TCP socket, to send what no well-behaved client library
 * would: unmasked frames, reserved opcodes, invalid UTF-8, floods of tiny fragments.
 */
export class RawSocket {
  readonly socket: net.Socket
  private received = Buffer.alloc(0)

  private constructor (socket: net.Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => { this.received = Buffer.concat([this.received, chunk]) })
    socket.on('error', () => {})
  }

  /** Opens a TCP connection and sends an upgrade request with the given extra header lines. */
  static async upgrade (port: number, path: string, headerLines: string[]): Promise<{ raw: RawSocket, status: number }> {
    const socket = net.connect(port, '127.0.0.1')
    await once(socket, 'connect')
    const raw = new RawSocket(socket)
    socket.write([
      `GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', 'Upgrade: websocket',
      'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, ...headerLines, '', ''
    ].join('\r\n'))
    const status = await raw.responseStatus()
    return { raw, status }
  }

  private async responseStatus (): Promise<number> {
    for (let i = 0; i < 100; i++) {
      const text = this.received.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end !== -1) {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
        if (status === 101) this.received = this.received.subarray(end + 4)
        return status
      }
      await Promise.race([once(this.socket, 'data'), once(this.socket, 'close')])
      if (this.socket.destroyed && this.received.length === 0) return 0
    }
    throw new Error('no HTTP response')
  }

  /** Sends one frame; client frames are masked unless `mask` is false. */
  sendFrame (opcode: number, payload: Buffer, { fin = true, mask = true } = {}): void {
    const header: number[] = [(fin ? 0x80 : 0) | opcode]
    const maskBit = mask ? 0x80 : 0
    if (payload.length < 126) header.push(maskBit | payload.length)
    else header.push(maskBit | 126, payload.length >> 8, payload.length & 0xff)
    const key = randomBytes(4)
    const body = mask ? payload.map((byte, i) => byte ^ key[i % 4]) : payload
    this.socket.write(Buffer.concat([Buffer.from(header), mask ? key : Buffer.alloc(0), body]))
  }

  /** The frames the server sent so far (server frames are unmasked). */
  serverFrames (): Array<{ opcode: number, payload: Buffer }> {
    const frames: Array<{ opcode: number, payload: Buffer }> = []
    let offset = 0
    while (offset + 2 <= this.received.length) {
      const opcode = this.received[offset] & 0x0f
      let length = this.received[offset + 1] & 0x7f
      let start = offset + 2
      if (length === 126) { length = this.received.readUInt16BE(offset + 2); start += 2 }
      if (start + length > this.received.length) break
      frames.push({ opcode, payload: this.received.subarray(start, start + length) })
      offset = start + length
    }
    return frames
  }

  /** Resolves once a server frame satisfies `predicate` (bounded by `timeoutMs`). */
  async waitForFrame (predicate: (frame: { opcode: number, payload: Buffer }) => boolean, timeoutMs = 5_000): Promise<{ opcode: number, payload: Buffer }> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.serverFrames().find(predicate)
      if (found !== undefined) return found
      if (this.socket.destroyed) throw new Error('socket closed while waiting for a frame')
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error('timed out waiting for a frame')
      await Promise.race([once(this.socket, 'data'), once(this.socket, 'close'), new Promise((resolve) => setTimeout(resolve, remaining))])
    }
  }

  /** Sends a JSON text frame. */
  sendJson (value: unknown): void {
    this.sendFrame(0x1, Buffer.from(JSON.stringify(value)))
  }

  /** Resolves with the status code of the close frame the server sent (or 0 if it just hung up). */
  async closeCode (): Promise<number> {
    if (!this.socket.destroyed) await once(this.socket, 'close')
    const close = this.serverFrames().find((frame) => frame.opcode === 0x8)
    if (close !== undefined) return close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005
    return 0
  }
}
