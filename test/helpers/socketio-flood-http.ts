import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { randomBytes } from 'node:crypto'

/** Raw HTTP requests for URLs no well-behaved client sends (a `#` in the request target, repeated keys). */

/** Sends one GET with `path` exactly as given (Node does not touch a `#`) and resolves with the status and body. */
export async function rawGet (port: number, path: string): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
    request.end()
  })
}

/** Sends a WebSocket upgrade request for `path` as given and resolves with the response status; the socket is closed. */
export async function rawUpgradeStatus (port: number, path: string): Promise<number> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  socket.write([
    `GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', 'Upgrade: websocket',
    'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, '', ''
  ].join('\r\n'))
  let received = ''
  // Bounded: a response head arrives in a few chunks at most.
  for (let i = 0; i < 50 && !received.includes('\r\n'); i++) {
    const [chunk] = await Promise.race([once(socket, 'data'), once(socket, 'close').then(() => [Buffer.alloc(0)])]) as [Buffer]
    if (chunk.length === 0) break
    received += chunk.toString('latin1')
  }
  socket.destroy()
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0)
}
