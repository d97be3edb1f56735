'use strict'
// The demo: one node on the in-process bus. `npm run demo` builds the plugin and starts it.
const Fastify = require('fastify')
const realtime = require('fastify-realtime')

const PORT = Number(process.env.PORT ?? 3000)
const HOST = process.env.HOST ?? '127.0.0.1'

async function main () {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })

  await app.register(realtime, {
    jwt: { secret: process.env.JWT_SECRET ?? 'demo-secret-change-me-in-production' },
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

  await app.listen({ host: HOST, port: PORT })

  const token = app.jwt.sign({ sub: 'demo-user' }, { expiresIn: '1h' })
  const url = `ws://${HOST}:${PORT}/ws`
  console.log(`
fastify-realtime demo on ${url}

A token for user "demo-user" (valid 1 hour):
  ${token}

Paste this in another terminal to connect, join order:1 and print what arrives:
  node -e "const ws=new (require('ws'))('${url}',{headers:{authorization:'Bearer ${token}'}});ws.on('open',()=>ws.send(JSON.stringify({type:'join',room:'order:1',id:'1'})));ws.on('message',(m)=>console.log(String(m)))"

Then ship the order and watch the client receive it:
  curl -X POST http://${HOST}:${PORT}/orders/1/ship
`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
