// @ts-check
'use strict'
// Plain CommonJS JavaScript, checked with // @ts-check: require() gives the plugin itself.
const Fastify = require('fastify')
const realtime = require('fastify-realtime')
const { createClient } = require('fastify-realtime/client')

/** @typedef {import('fastify-realtime').ServerToClientEvents} ServerToClientEvents */
/** @typedef {import('fastify-realtime').ClientToServerEvents} ClientToServerEvents */

async function main () {
  const app = Fastify()
  await app.register(realtime, {
    jwt: { secret: process.env.JWT_SECRET },
    canJoin: (user, room) => user !== null && room === `org:${user.orgId}`
  })
  await app.realtime.to('org:1').emit('order:status_updated', { orderId: '1', status: 'paid' })
  // @ts-expect-error a wrong event payload
  await app.realtime.to('org:1').emit('order:status_updated', { orderId: '1', status: 'lost' })
  // @ts-expect-error an undeclared event
  await app.realtime.emit('order:created', {})
  app.realtime.on('chat:send', (data) => ({ id: data.text.length }))
  // @ts-expect-error a wrong ack type
  app.realtime.on('chat:send', () => ({ id: 'one' }))
  const error = new realtime.RealtimeError('FORBIDDEN')
  /** @type {import('fastify-realtime/client').Client<ServerToClientEvents, ClientToServerEvents>} */
  const client = createClient({ url: 'ws://127.0.0.1/ws', token: 't' })
  client.on('chat:message', (data) => { console.log(data.text, error.code) })
  return realtime.default === realtime && realtime.fastifyRealtime === realtime
}

module.exports = main
