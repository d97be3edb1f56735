import type { Test } from 'tap'
import type { TestServer } from './app'
import { ioConnect, type IoTestClient } from './socketio-client'
import { connect, type TestClient } from './ws-client'

/**
 * A ws client (user 1) and a Socket.IO client (user 2) on one server, both welcomed, and both
 * joined to `room` when one is given. The ws client is the caller's to close.
 */
export async function wsAndIoClients (t: Test, server: TestServer, room?: string): Promise<{ ws: TestClient, io: IoTestClient }> {
  const { client: ws } = await connect(server.wsUrl, { token: server.token(1) })
  const { client: io } = await ioConnect(t, server.httpUrl, { token: server.token(2) })
  if (room !== undefined) {
    await ws.request({ type: 'join', room })
    await io.request('join', room)
  }
  return { ws, io }
}
