import { once } from 'node:events'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import type { Test } from 'tap'

/** One client connection through the proxy and what the client has sent on it so far. */
export interface ProxiedConnection {
  readonly client: Socket
  readonly upstream: Socket
  sent: string
}

/**
 * A TCP proxy on 127.0.0.1 in front of a server, for faults a test cannot make at either end:
 * `halfOpen` drops a connection at the server's side while the client's side stays open and
 * silent, as when the peer vanished without a FIN reaching the client. Closed with the test.
 */
export class TcpProxy {
  readonly connections: ProxiedConnection[] = []
  port = 0
  private readonly server = createServer((client) => this.accept(client))
  private readonly targetPort: number

  constructor (targetPort: number) {
    this.targetPort = targetPort
  }

  async start (): Promise<void> {
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    this.port = (this.server.address() as AddressInfo).port
  }

  /** The server sees the connection close; the client sees nothing, and what it sends goes nowhere. */
  halfOpen (connection: ProxiedConnection): void {
    connection.client.unpipe(connection.upstream)
    connection.upstream.unpipe(connection.client)
    connection.upstream.destroy()
    connection.client.resume()
  }

  async close (): Promise<void> {
    for (const { client, upstream } of this.connections) {
      client.destroy()
      upstream.destroy()
    }
    this.server.close()
    await once(this.server, 'close')
  }

  private accept (client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1')
    const connection: ProxiedConnection = { client, upstream, sent: '' }
    this.connections.push(connection)
    client.on('data', (chunk: Buffer) => { connection.sent += chunk.toString('latin1') })
    for (const socket of [client, upstream]) socket.on('error', () => {})
    client.pipe(upstream)
    upstream.pipe(client)
  }
}

export async function startTcpProxy (t: Test, targetPort: number): Promise<TcpProxy> {
  const proxy = new TcpProxy(targetPort)
  await proxy.start()
  t.teardown(() => proxy.close())
  return proxy
}
