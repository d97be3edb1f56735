import { Duplex } from 'node:stream'
import t from 'tap'
import { frameText, writeCoalesced } from '../lib/transports/ws/frame-writer'
import { startServer } from './helpers/app'
import { connect } from './helpers/ws-client'

/** A socket stand-in that records every write the stream hands down: one entry per write call. */
class RecordingSocket extends Duplex {
  readonly writes: string[][] = []

  override _read (): void {}

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.writes.push([payloadOf(chunk)])
    callback()
  }

  override _writev (chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    this.writes.push(chunks.map(({ chunk }) => payloadOf(chunk)))
    callback()
  }
}

/** The text of a small unmasked frame made by frameText (2-byte header). */
function payloadOf (frame: Buffer): string {
  return frame.subarray(2).toString()
}

const nextTick = async (): Promise<void> => await new Promise((resolve) => process.nextTick(resolve))

t.test('frames written to a socket in one turn leave in one write, in the order they were written', async (t) => {
  const a = new RecordingSocket()
  const b = new RecordingSocket()
  for (let i = 0; i < 5; i++) {
    writeCoalesced(a, frameText(`a${i}`))
    writeCoalesced(b, frameText(`b${i}`))
  }
  await nextTick()
  t.same(a.writes, [['a0', 'a1', 'a2', 'a3', 'a4']])
  t.same(b.writes, [['b0', 'b1', 'b2', 'b3', 'b4']])
})

t.test('a single frame is handed to the socket in the turn it was written, before any I/O or timer runs', async (t) => {
  const socket = new RecordingSocket()
  writeCoalesced(socket, frameText('only'))
  // The flush was queued with process.nextTick when the frame was written, so it has run by the
  // time a tick queued after it runs — still inside the same turn of the event loop.
  await nextTick()
  t.same(socket.writes, [['only']])
})

t.test('frames of the next turn leave in a write of their own, after those of the turn before', async (t) => {
  const socket = new RecordingSocket()
  writeCoalesced(socket, frameText('first'))
  writeCoalesced(socket, frameText('second'))
  await new Promise((resolve) => setImmediate(resolve))
  writeCoalesced(socket, frameText('third'))
  await nextTick()
  t.same(socket.writes, [['first', 'second'], ['third']])
})

t.test('a client receives room emits, broadcasts and direct events of one turn in the order they were made', async (t) => {
  const server = await startServer(t, { autoJoin: () => ['feed'] })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  const { client: other } = await connect(server.wsUrl, { token: server.token(2) })
  const realtime = server.app.realtime
  const count = 300
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) void realtime.to('feed').emit('seq', i)
    else if (i % 3 === 1) void realtime.emit('seq', i)
    else void realtime.toUser(1).emit('seq', i)
  }
  const received: unknown[] = []
  for (let i = 0; i < count; i++) received.push((await client.next('event')).data)
  t.same(received, Array.from({ length: count }, (_, i) => i))
  const seenByOther: unknown[] = []
  for (let i = 0; i < count; i++) if (i % 3 !== 2) seenByOther.push((await other.next('event')).data)
  t.same(seenByOther, Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 !== 2), 'the other member misses only the direct events')
  client.close()
  other.close()
})

t.test('bursts over many turns arrive complete and in order', async (t) => {
  const server = await startServer(t, { autoJoin: () => ['feed'] })
  const { client } = await connect(server.wsUrl, { token: server.token(1) })
  const turns = 20
  const perTurn = 10
  for (let turn = 0; turn < turns; turn++) {
    for (let i = 0; i < perTurn; i++) void server.app.realtime.to('feed').emit('seq', turn * perTurn + i)
    await new Promise((resolve) => setImmediate(resolve))
  }
  const received: unknown[] = []
  for (let i = 0; i < turns * perTurn; i++) received.push((await client.next('event')).data)
  t.same(received, Array.from({ length: turns * perTurn }, (_, i) => i))
  client.close()
})
