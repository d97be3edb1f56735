'use strict'
// Operations dashboard. Anonymous viewers may watch the public dashboard; signed-in staff may also
// follow contracts. Metrics and commissions are pushed from routes; job progress comes from
// worker.js, a separate process, through Redis (set REDIS_URL; without it this node runs alone and
// the worker has nothing to publish to).
const Fastify = require('fastify')
const realtime = require('fastify-realtime')

const DASHBOARD = 'dashboard'
const contractRoom = (id) => `contract:${id}`
const CONTRACT_ID = /^[A-Za-z0-9-]{1,40}$/

async function start ({ port = 3000, host = '127.0.0.1', redis, secret = 'dashboard-example-secret-change-me', logLevel = 'info' } = {}) {
  const app = Fastify({ logger: { level: logLevel } })
  await app.register(realtime, {
    jwt: { secret },
    redis,
    // Viewers without a token connect as anonymous clients…
    auth: { required: false },
    // …and may be in the dashboard room only; contract rooms are for signed-in users.
    canJoin: (user, room) => room === DASHBOARD || (user !== null && room.startsWith('contract:'))
  })

  // Client events that subscribe: the server decides, with the same rule as `join` requests.
  app.realtime.on('subscribe:dashboard', (data, client) => {
    client.join(DASHBOARD)
    return { room: DASHBOARD }
  })
  app.realtime.on('subscribe:contract', (data, client) => {
    const id = data?.contractId
    if (typeof id !== 'string' || !CONTRACT_ID.test(id)) return { ok: false, error: 'contractId must be a short id' }
    if (client.user === null) return { ok: false, error: 'sign in to follow contracts' }
    client.join(contractRoom(id))
    return { room: contractRoom(id) }
  })

  // Pushed from ordinary routes, as a billing or monitoring job would call them.
  app.post('/metrics', async (request) => {
    const delivered = await app.realtime.to(DASHBOARD).emit('metrics:update', { ...request.body, at: Date.now() })
    return { delivered }
  })
  app.post('/contracts/:id/commission', async (request) => {
    const { id } = request.params
    const delivered = await app.realtime.to(contractRoom(id)).emit('commission:created', { contractId: id, ...request.body })
    return { delivered }
  })

  const address = await app.listen({ host, port })
  return { app, address }
}

module.exports = { start, DASHBOARD }

if (require.main === module) {
  start({ port: Number(process.env.PORT ?? 3000), redis: process.env.REDIS_URL, secret: process.env.JWT_SECRET, logLevel: process.env.LOG_LEVEL }).then(({ app, address }) => {
    console.log(`dashboard on ${address} (${process.env.REDIS_URL ? `Redis ${process.env.REDIS_URL}` : 'no Redis: worker.js cannot reach it'})`)
    console.log(`staff token (1 h): ${app.jwt.sign({ sub: 'ops-1' }, { expiresIn: '1h' })}`)
  }, (err) => {
    console.error(err)
    process.exit(1)
  })
}
