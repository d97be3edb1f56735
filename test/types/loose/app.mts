// Nothing declared: any event name, data and ack type-check, as before event maps existed.
import Fastify from 'fastify'
import realtime, { type RealtimeUser } from 'fastify-realtime'
import { createEmitter } from 'fastify-realtime/emitter'

const app = Fastify()
await app.register(realtime, {
  jwt: { secret: 'secret' },
  autoJoin: (user: RealtimeUser | null) => typeof user?.orgId === 'string' ? [`org:${user.orgId}`] : []
})
await app.realtime.to('any').emit('anything', { at: Date.now() })
await app.realtime.emit('no-data')
app.realtime.on('add', (data) => data)
app.realtime.on<{ a: number, b: number }>('sum', ({ a, b }) => a + b)
app.realtime.on('typing', (data, client) => client.to(String(data)).emit('typing', { user: client.userId }))
app.realtime.io?.emit('anything', 1, 2, 3)
await createEmitter({ redis: 'redis://127.0.0.1:6379' }).toUser(42).emit('notification:new', { text: 'Shipped' })
