import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import t from 'tap'
import { startServer } from './helpers/app'
import { ioConnect, serverSocket } from './helpers/socketio-client'

for (const transport of ['polling', 'websocket']) {
  t.test(`app.close() disconnects ${transport} clients, which would reconnect`, async (t) => {
    const server = await startServer(t)
    const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1), transports: [transport] })
    await server.app.close()
    // A polling client between two polls learns it from its next poll, which the closing server refuses.
    t.match(await client.disconnected, /^transport (close|error)$/, 'a dropped transport, not a server-side disconnect')
    t.equal(await server.app.realtime.count(), 0)
  })
}

t.test('app.close() leaves no handle open: the process exits on its own', async (t) => {
  const script = resolve(__dirname, 'fixtures', 'socketio-close-exits.js')
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 })
  t.equal(result.status, 0, result.stderr)
  t.match(result.stdout, /disconnected: transport (close|error), transport close/)
})

t.test('client.disconnect() from a handler ends the client with disconnect_reason 1000', async (t) => {
  const server = await startServer(t)
  server.app.realtime.on('bye', (_data, client) => { client.disconnect() })
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  await client.request('join', 'room:1')
  client.socket.emit('bye')
  t.same(await client.next('disconnect_reason'), { code: 1000, reason: 'disconnected by server' })
  t.equal(await client.disconnected, 'io server disconnect')
  t.equal(await server.app.realtime.roomSize('room:1'), 0, 'it left every room')
})

t.test('a client that disconnects leaves the hub and its rooms', async (t) => {
  const server = await startServer(t)
  const { client } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  await client.request('join', 'room:1')
  const left = new Promise((resolve) => serverSocket(server.app, client.socket.id).once('disconnect', resolve))
  client.close()
  t.equal(await left, 'client namespace disconnect')
  t.equal(await server.app.realtime.count(), 0)
  t.equal(await server.app.realtime.roomSize('room:1'), 0)
  t.same(await server.app.realtime.connectedUsers(), [])
})
