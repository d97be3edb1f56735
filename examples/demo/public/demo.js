/* global FastifyRealtimeClient, io */
'use strict'
// The demo page: one client of each kind, each listing what it receives.
const MAX_LINES = 200

function logger (listId) {
  const list = document.getElementById(listId)
  return (event, data) => {
    const line = document.createElement('li')
    line.className = event.startsWith('demo:') ? 'demo' : ''
    line.textContent = `${new Date().toLocaleTimeString()}  ${event}  ${JSON.stringify(data)}`
    list.prepend(line)
    while (list.children.length > MAX_LINES) list.lastChild.remove()
  }
}

function setStatus (id, text, connected) {
  const status = document.getElementById(id)
  status.textContent = text
  status.classList.toggle('connected', connected)
}

// DEMO ONLY: the page asks the demo server for a token; a real app gets one from its login.
const fetchToken = async () => (await fetch('/demo/token')).text()

/* global location */
const wsLog = logger('ws-log')
const wsClient = FastifyRealtimeClient.createClient({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  token: fetchToken
})
wsClient.on('welcome', (welcome) => { setStatus('ws-status', `connected as ${welcome.user.sub}`, true); wsLog('welcome', welcome) })
wsClient.on('disconnect', ({ code }) => setStatus('ws-status', `disconnected (${code})`, false))
wsClient.on('metrics', (data) => wsLog('metrics', data))
wsClient.on('demo:message', (data, room) => wsLog('demo:message', { room, ...data }))
wsClient.connect().catch((err) => setStatus('ws-status', `failed: ${err.code}`, false))

const ioLog = logger('io-log')
let ioSocket
fetchToken().then((token) => {
  ioSocket = io({ auth: { token } })
  ioSocket.on('welcome', (welcome) => { setStatus('io-status', `connected as ${welcome.user.sub}`, true); ioLog('welcome', welcome) })
  ioSocket.on('disconnect', (reason) => setStatus('io-status', `disconnected (${reason})`, false))
  ioSocket.on('metrics', (data) => ioLog('metrics', data))
  ioSocket.on('demo:message', (data) => ioLog('demo:message', data))
})

async function joinBoth (room) {
  if (!wsClient.rooms.includes(room)) await wsClient.join(room)
  const joined = await ioSocket.emitWithAck('join', room)
  if (!joined.ok) throw new Error(joined.error.message)
}

document.getElementById('emit').addEventListener('submit', async (event) => {
  event.preventDefault()
  const room = document.getElementById('room').value
  const text = document.getElementById('text').value
  try {
    await joinBoth(room)
    const response = await fetch('/demo/emit', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room, text })
    })
    if (!response.ok) throw new Error(`emit refused: ${response.status}`)
  } catch (err) {
    wsLog('page error', String(err))
  }
})
