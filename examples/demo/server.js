'use strict'
// The demo: one node on the in-process bus. `npm run demo` builds the plugin and starts it; open
// http://127.0.0.1:3000/ for the demo page. `start({ port: 0 })` is what the browser test uses.
const Fastify = require('fastify')
const realtime = require('fastify-realtime')
const { registerDemoPage } = require('./page')

const DEMO_SECRET = 'demo-secret-change-me-in-production'
// The printed client line names `ws` by its path here: pasted in another directory, a bare
// require('ws') would find no such package.
const WS_MODULE = require.resolve('ws')

async function start ({ port = 3000, host = '127.0.0.1', logLevel = 'info', secret = DEMO_SECRET } = {}) {
  const app = Fastify({ logger: { level: logLevel } })

  await app.register(realtime, {
    jwt: { secret },
    autoJoin: () => ['dashboard'],
    canJoin: (user, room) => room.startsWith('order:') || room.startsWith('public:')
  })

  // Client event: the handler's return value is the client's ack.
  app.realtime.on('echo', (data, client) => ({ echoed: data, from: client.userId }))

  // Server code emitting into rooms from an ordinary route.
  app.post('/orders/:id/ship', async (request) => {
    const { id } = request.params
    await app.realtime.to(`order:${id}`).emit('order:status_updated', { id, status: 'shipped' })
    return { ok: true }
  })

  // A metric pushed to every dashboard member every two seconds.
  const ticker = setInterval(async () => {
    const connections = await app.realtime.count()
    await app.realtime.to('dashboard').emit('metrics', { at: new Date().toISOString(), connections })
  }, 2_000)
  app.addHook('onClose', async () => clearInterval(ticker))

  await registerDemoPage(app)

  const address = await app.listen({ host, port })
  const token = app.jwt.sign({ sub: 'demo-user' }, { expiresIn: '1h' })
  return { app, address, token }
}

function printInstructions (address, token) {
  const url = `${address.replace('http', 'ws')}/ws`
  console.log(`
fastify-realtime demo: open ${address}/ in a browser.

A token for user "demo-user" (valid 1 hour):
  ${token}

Paste this in another terminal (any directory) to connect, join order:1 and print what arrives:
  node -e "const ws=new (require(${JSON.stringify(WS_MODULE).replace(/"/g, "'")}))('${url}',{headers:{authorization:'Bearer ${token}'}});ws.on('open',()=>ws.send(JSON.stringify({type:'join',room:'order:1',id:'1'})));ws.on('message',(m)=>console.log(String(m)))"

Then ship the order and watch the client (and the page, if it joined order:1) receive it:
  curl -X POST ${address}/orders/1/ship
`)
}

module.exports = { start }

if (require.main === module) {
  start({
    port: Number(process.env.PORT ?? 3000),
    host: process.env.HOST ?? '127.0.0.1',
    logLevel: process.env.LOG_LEVEL ?? 'info',
    secret: process.env.JWT_SECRET ?? DEMO_SECRET
  }).then(({ app, address, token }) => {
    printInstructions(address, token)
    stopWithParent(app)
  }, (err) => {
    console.error(err)
    process.exit(1)
  })
}

/**
 * Closes the server on SIGINT/SIGTERM, and when `npm run demo` is stopped: npm's shell then dies
 * without passing the signal on, and the server would keep running with its port bound.
 */
function stopWithParent (app) {
  const parent = process.ppid
  const stop = () => { app.close().then(() => process.exit(0), () => process.exit(1)) }
  process.once('SIGINT', stop).once('SIGTERM', stop)
  setInterval(() => { if (process.ppid !== parent) stop() }, 500).unref()
}
