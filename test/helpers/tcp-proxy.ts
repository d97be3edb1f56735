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
 * silent, as when the peer vanished without a FIN reaching the client; `holdNewConnections` keeps
 * reconnecting clients waiting until the test lets them through. Closed with the test.
 */
export class TcpProxy {
  readonly connections: ProxiedConnection[] = []
  port = 0
  private readonly server = createServer((client) => this.accept(client))
  private readonly targetPort: number
  private held: Socket[] | undefined

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

  /** Closes both sides, as a server-side kill does. */
  drop (connection: ProxiedConnection): void {
    connection.client.destroy()
    connection.upstream.destroy()
  }

  /** Connections made from now on wait, unanswered, until the returned function is called. */
  holdNewConnections (): () => void {
    const held: Socket[] = this.held = []
    return () => {
      this.held = undefined
      for (const client of held) this.forward(client)
    }
  }

  async close (): Promise<void> {
    for (const { client, upstream } of this.connections) {
      client.destroy()
      upstream.destroy()
    }
    for (const client of this.held ?? []) client.destroy()
    this.server.close()
    await once(this.server, 'close')
  }

  private accept (client: Socket): void {
    client.on('error', () => {})
    if (this.held !== undefined) this.held.push(client)
    else this.forward(client)
  }

  private forward (client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1')
    const connection: ProxiedConnection = { client, upstream, sent: '' }
    this.connections.push(connection)
    client.on('data', (chunk: Buffer) => { connection.sent += chunk.toString('latin1') })
    upstream.on('error', () => {})
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
