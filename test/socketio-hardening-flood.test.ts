import t from 'tap'
import { startServer } from './helpers/app'
import { openSession, poll, post } from './helpers/engine-http'
import { ioConnect } from './helpers/socketio-client'
import { engineSession, heapAfterGc, payload, queuedPackets, sessionClosed } from './helpers/socketio-flood'

// Engine.io message packets (`4`) carrying Socket.IO packets. `40/x,` is a CONNECT to a namespace that does not exist: each one is answered with a CONNECT_ERROR.
const CONNECT_NOWHERE = '40/x,'
const POST_BYTES = 60 * 1024
// Bounded: 40 POSTs of 60 KiB, 2.4 MB in all.
const POSTS = 40

t.test('a token-less session that never polls cannot queue answers to a flood of CONNECTs', async (t) => {
  const server = await startServer(t, { socketio: { maxHttpBufferSize: 64 * 1024 } })
  const { client: bystander } = await ioConnect(t, server.httpUrl, { token: server.token(1) })
  const { sid } = await openSession(server.httpUrl)
  const before = heapAfterGc()
  const body = payload(CONNECT_NOWHERE, Math.floor(POST_BYTES / (CONNECT_NOWHERE.length + 1)))
  let accepted = 0
  for (let i = 0; i < POSTS; i++) {
    const { status } = await post(server.httpUrl, sid, body)
    if (status === 200) accepted++
    const queued = queuedPackets(server.app, sid)
    t.ok(queued <= 16, `post ${i}: ${queued} packets queued`, { diagnostic: false })
  }
  const grown = heapAfterGc() - before
  t.comment(`heap grew by ${(grown / 1024 / 1024).toFixed(1)} MB; ${accepted} POSTs accepted`)
  t.ok(grown < 20 * 1024 * 1024, `heap growth ${grown} under 20 MB`)
  t.ok(accepted <= 1, 'the session was closed within the first POST')
  await sessionClosed(server.app, sid)
  t.equal(engineSession(server.app, sid), undefined, 'the session is gone')
  await server.app.realtime.emit('still', 'here')
  t.equal(await bystander.next('still'), 'here', 'the bystander is still served')
})

// Socket.IO itself closes a session for most packets out of place before it connects; this keeps
// every kind covered should that change.
t.test('no kind of packet keeps a session reading before it connects: DISCONNECT, ACK, binary, events', async (t) => {
  const server = await startServer(t)
  for (const packet of ['41', '41/x,', '43/x,1[]', '42/x,["e"]', '42["e"]', '451-["e",{"_placeholder":true,"num":0}]', 'b' + Buffer.from('x').toString('base64')]) {
    const { sid } = await openSession(server.httpUrl)
    await post(server.httpUrl, sid, payload(packet, 50))
    // Closed by the budget, or closing because Socket.IO found the packet out of place (engine.io
    // then ignores the rest and waits for a poll to say so): either way nothing more is read.
    t.not(engineSession(server.app, sid)?.readyState ?? 'closed', 'open', `${packet}: the session no longer reads`)
  }
})

t.test('a session that never connects and never polls is gone after connectTimeout', async (t) => {
  const server = await startServer(t, { socketio: { connectTimeout: 300 } })
  const { sid } = await openSession(server.httpUrl)
  // Two CONNECT_ERROR answers wait in its queue: Socket.IO's own timeout would wait for them to drain.
  await post(server.httpUrl, sid, payload(CONNECT_NOWHERE, 2))
  t.equal(queuedPackets(server.app, sid), 2)
  await sessionClosed(server.app, sid, 3_000)
  t.equal(engineSession(server.app, sid), undefined)
})

/** A BINARY_EVENT `echo` with `count` attachments, followed by them (engine.io's `b` + base64). */
function binaryEvent (count: number): string {
  const placeholders = Array.from({ length: count }, (_, num) => JSON.stringify({ _placeholder: true, num }))
  return [`45${count}-["echo",${placeholders.join(',')}]`, payload('bAAAA', count)].join('\x1e')
}

// What Socket.IO tolerates from a connected session without an event the connection would count.
const NON_EVENT_FLOODS: Record<string, string> = {
  // Unsolicited acks: Socket.IO ignores them.
  acks: payload('43999[]', 25),
  // CONNECTs to a namespace that does not exist: each is answered with a CONNECT_ERROR.
  'CONNECTs to nowhere': payload('40/x,', 25),
  // Three events of ten binary attachments each (socket.io-parser's most): the events are within
  // the connection's limit, the 30 attachments are not within the session's budget.
  'binary attachments': payload(binaryEvent(10), 3)
}

for (const [kind, flood] of Object.entries(NON_EVENT_FLOODS)) {
  t.test(`an admitted session is budgeted for packets other than its events too: ${kind}`, async (t) => {
    const server = await startServer(t, { messageRateLimit: { max: 10, timeWindow: 60_000 } })
    const { sid } = await openSession(server.httpUrl)
    await post(server.httpUrl, sid, `40{"token":"${server.token(1)}"}`)
    t.match((await poll(server.httpUrl, sid)).body, /^40\{"sid"/)
    // 25 packets against a budget of twice the limit (20) per window.
    await post(server.httpUrl, sid, flood)
    await sessionClosed(server.app, sid)
    t.equal(await server.app.realtime.count(), 0, 'the flooding connection is gone')
  })
}

t.test('what the server queues in answer to events counts against maxBufferedBytes', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: 8 * 1024, messageRateLimit: { max: 1_000, timeWindow: 60_000 } })
  server.app.realtime.on('echo', () => 'x'.repeat(1024))
  const { client: bystander } = await ioConnect(t, server.httpUrl, { token: server.token(2) })
  const { sid } = await openSession(server.httpUrl)
  await post(server.httpUrl, sid, `40{"token":"${server.token(1)}"}`)
  t.match((await poll(server.httpUrl, sid)).body, /^40\{"sid"/)
  // It never polls again: 50 acks of 1 KiB cannot all wait for it.
  await post(server.httpUrl, sid, Array.from({ length: 50 }, (_, i) => `42${i}["echo"]`).join('\x1e'))
  await sessionClosed(server.app, sid)
  t.equal(server.app.realtime.stats().slowConsumerDisconnects, 1, 'counted as a slow consumer')
  t.equal(await server.app.realtime.count(), 1, 'only the bystander is left')
  await server.app.realtime.emit('still', 'here')
  t.equal(await bystander.next('still'), 'here')
})
