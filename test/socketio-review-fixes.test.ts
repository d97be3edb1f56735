import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import WebSocket from 'ws'
import { startServer } from './helpers/app'
import { poll, post } from './helpers/engine-http'
import { ioConnect, serverSocket } from './helpers/socketio-client'
import { waitFor } from './helpers/wait-for'

/*
 * Holes a review of the hardened Socket.IO endpoint found: a session that reconnects to the
 * namespace over and over, two Authorization headers on a handshake, and socket.join() through the
 * escape hatch.
 */

/** Resolves with the next engine.io message on a raw WebSocket session that satisfies `accept`. */
async function nextMessage (ws: WebSocket, accept: (text: string) => boolean): Promise<string> {
  return await new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const text = data.toString()
      if (text === '2') ws.send('3')
      if (!accept(text)) return
      ws.off('message', onMessage)
      resolve(text)
    }
    ws.on('message', onMessage)
    ws.once('close', () => reject(new Error('session closed')))
  })
}

t.test('one engine.io session carries one realtime connection, ever: a CONNECT after a DISCONNECT is refused and ends the session', async (t) => {
  let verified = 0
  const server = await startServer(t, { connectionRateLimit: { max: 1, timeWindow: 60_000 }, auth: { trusted: async () => { verified++; return true } } })
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`)
  await once(ws, 'open')
  const closed = once(ws, 'close')
  const token = server.token('alice')
  ws.send(`40${JSON.stringify({ token })}`)
  await nextMessage(ws, (text) => text.startsWith('42["welcome"'))
  ws.send('41')
  // Once the server has seen the DISCONNECT: a CONNECT in the same read would end the session anyway.
  await waitFor(async () => await server.app.realtime.count() === 0)
  const answer = nextMessage(ws, (text) => text.startsWith('40') || text.startsWith('44'))
  ws.send(`40${JSON.stringify({ token })}`)
  t.match(await answer, /^44\{.*BAD_REQUEST/, 'the second CONNECT is refused')
  await closed
  t.equal(verified, 1, 'its token was never even checked')
  t.equal(await server.app.realtime.count(), 0)
})

/** A polling handshake sent over a raw socket, with header lines fetch() cannot send (two of one name). */
async function rawHandshake (port: number, headerLines: string[]): Promise<string> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(['GET /socket.io/?EIO=4&transport=polling HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: close', ...headerLines, '', ''].join('\r\n'))
  const chunks: Buffer[] = []
  for await (const chunk of socket) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks).toString()
  const sid = /"sid":"([^"]+)"/.exec(body)?.[1]
  if (sid === undefined) throw new Error(`no session: ${body}`)
  return sid
}

t.test('two Authorization headers on a Socket.IO handshake are a malformed credential, never anonymous', async (t) => {
  const server = await startServer(t, { auth: { required: false } })
  const sid = await rawHandshake(server.port, ['Authorization: Basic Zm9vOmJhcg==', 'Authorization: Bearer garbage'])
  await post(server.httpUrl, sid, '40')
  let answer: string | undefined
  for (let polls = 0; polls < 5 && answer === undefined; polls++) {
    answer = (await poll(server.httpUrl, sid)).body.split('\x1e').find((packet) => packet.startsWith('40') || packet.startsWith('44'))
  }
  t.match(answer, /^44\{.*UNAUTHORIZED/)
  t.equal(await server.app.realtime.count(), 0)
})

t.test('socket.join() through app.realtime.io refuses another client\'s id and another user\'s room, leaving nothing behind', async (t) => {
  const server = await startServer(t)
  const { client: alice, welcome: aliceWelcome } = await ioConnect(t, server.httpUrl, { token: server.token('alice') })
  const { client: bob, welcome: bobWelcome } = await ioConnect(t, server.httpUrl, { token: server.token('bob') })
  const aliceSocket = serverSocket(server.app, aliceWelcome.connectionId)
  t.throws(() => aliceSocket.join(bobWelcome.connectionId), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  t.throws(() => aliceSocket.join('user:bob'), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  t.throws(() => aliceSocket.join('$internal'), { code: 'FST_REALTIME_INVALID_ARGUMENT' })
  aliceSocket.join('user:alice')
  aliceSocket.join('org:1')
  t.ok(aliceSocket.rooms.has('org:1'), 'a joinable room is joined as before')
  const io = server.app.realtime.io
  io?.to(bobWelcome.connectionId).emit('direct', 'secret')
  io?.to('user:bob').emit('multi', 'secret', 'two args')
  t.same(await bob.nextArgs('direct'), ['secret'])
  t.same(await bob.nextArgs('multi'), ['secret', 'two args'])
  await server.app.realtime.toUser('alice').emit('marker', 1)
  t.equal(await alice.next('marker'), 1)
  t.notOk(alice.pending().some(({ event }) => event === 'direct' || event === 'multi'), 'alice received none of bob\'s')
})
