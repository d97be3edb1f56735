'use strict'
// Commerce service. A staff token carries `companyId` and `shopId` claims: the user joins their
// company's and shop's rooms on connect. Order-tracking and inventory rooms are joined on request
// and checked against the same claims; typing indicators go to the other members of a room.
// The status routes use the cluster-wide queries, so with REDIS_URL they answer for every node.
const Fastify = require('fastify')
const realtime = require('fastify-realtime')

// Stand-in for the orders table: which company each order belongs to.
const ORDERS = new Map([['1001', 'acme'], ['1002', 'acme'], ['2001', 'globex']])

const companyRoom = (id) => `company:${id}`
const shopRoom = (id) => `shop:${id}`
const orderRoom = (id) => `order:${id}`
const inventoryRoom = (shopId) => `inventory:${shopId}`

function mayJoin (user, room) {
  if (user === null) return false
  const [kind, id] = room.split(/:(.*)/s)
  if (kind === 'order') return ORDERS.get(id) === user.companyId
  if (kind === 'inventory') return id === String(user.shopId)
  return false
}

async function start ({ port = 3000, host = '127.0.0.1', redis, secret = 'commerce-example-secret-change-me', logLevel = 'info' } = {}) {
  const app = Fastify({ logger: { level: logLevel } })
  await app.register(realtime, {
    jwt: { secret },
    redis,
    autoJoin: (user) => [
      ...(user?.companyId ? [companyRoom(user.companyId)] : []),
      ...(user?.shopId ? [shopRoom(user.shopId)] : [])
    ],
    canJoin: mayJoin
  })

  // `{ room, typing }` from a member of the room reaches the room's other members.
  app.realtime.on('typing', (data, client) => {
    const room = data?.room
    if (typeof room !== 'string' || !client.rooms.has(room)) return { ok: false, error: 'join the room first' }
    client.to(room).emit('typing', { room, userId: client.userId, typing: data.typing !== false })
    return { ok: true }
  })

  app.post('/orders/:id/status', async (request) => {
    const { id } = request.params
    const delivered = await app.realtime.to(orderRoom(id)).emit('order:status_updated', { orderId: id, status: request.body?.status })
    return { delivered }
  })
  app.post('/shops/:id/inventory', async (request) => {
    const { id } = request.params
    const delivered = await app.realtime.to(inventoryRoom(id)).emit('inventory:updated', { shopId: id, ...request.body })
    return { delivered }
  })

  app.get('/health', async () => ({ status: 'ok', bus: app.realtime.busStatus() }))
  app.get('/connected-users', async () => {
    const [connections, users] = await Promise.all([app.realtime.count(), app.realtime.connectedUsers()])
    return { connections, users }
  })
  app.get('/user-status/:id', async (request) => ({ userId: request.params.id, online: await app.realtime.isUserConnected(request.params.id) }))

  const address = await app.listen({ host, port })
  return { app, address }
}

module.exports = { start }

if (require.main === module) {
  start({ port: Number(process.env.PORT ?? 3000), redis: process.env.REDIS_URL, secret: process.env.JWT_SECRET, logLevel: process.env.LOG_LEVEL }).then(({ app, address }) => {
    console.log(`commerce service on ${address}${process.env.REDIS_URL ? ` (Redis ${process.env.REDIS_URL})` : ''}`)
    console.log(`token for ada of acme, shop 7 (1 h): ${app.jwt.sign({ sub: 'ada', companyId: 'acme', shopId: '7' }, { expiresIn: '1h' })}`)
  }, (err) => {
    console.error(err)
    process.exit(1)
  })
}
