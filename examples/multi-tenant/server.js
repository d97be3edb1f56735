// @ts-check
'use strict'
// Multi-tenant app. Every room belongs to one organisation: `org:{org}` and `org:{org}:project:{id}`.
// A user (token claim `org`) joins their organisation's room on connect and may join its project
// rooms only, so nothing emitted in one tenant can reach another.
const Fastify = require('fastify')
// `require` returns the plugin itself, and its types say so.
const realtime = require('fastify-realtime')
const EVENTS = require('./events')

/** @typedef {import('./event-map').ServerEvents} ServerEvents */
/** @typedef {import('./event-map').ClientEvents} ClientEvents */

const NAME = /^[\w-]{1,40}$/
/** @param {string} org */
const orgRoom = (org) => `org:${org}`
/** @param {string} org @param {string} projectId */
const projectRoom = (org, projectId) => `org:${org}:project:${projectId}`

/** @param {import('fastify-realtime').RealtimeUser | null} user */
const orgOf = (user) => (typeof user?.org === 'string' && NAME.test(user.org) ? user.org : null)

/**
 * Emits a typed server event: the name must be one of ServerEvents and the data must fit it.
 * @template {keyof ServerEvents} E
 * @param {import('fastify').FastifyInstance} app @param {string} room @param {E} event @param {Parameters<ServerEvents[E]>[0]} data
 */
async function emitTo (app, room, event, data) {
  return await app.realtime.to(room).emit(event, data)
}

/** @param {{ port?: number, host?: string, secret?: string, logLevel?: string }} [options] */
async function start ({ port = 3000, host = '127.0.0.1', secret = 'multi-tenant-example-secret-change-me', logLevel = 'info' } = {}) {
  const app = Fastify({ logger: { level: logLevel } })
  await app.register(realtime, {
    jwt: { secret },
    autoJoin: (/** @type {import('fastify-realtime').RealtimeUser | null} */ user) => {
      const org = orgOf(user)
      return org === null ? [] : [orgRoom(org)]
    },
    canJoin: (/** @type {import('fastify-realtime').RealtimeUser | null} */ user, /** @type {string} */ room) => {
      const org = orgOf(user)
      return org !== null && room.startsWith(`${orgRoom(org)}:project:`)
    }
  })

  app.realtime.on(EVENTS.PROJECT_RENAME, async (/** @type {any} untrusted: checked below */ data, client) => {
    /** @type {ReturnType<ClientEvents['project:rename']>} */
    let answer = { ok: false, error: 'projectId and name (1-40 word characters) required' }
    const org = orgOf(client.user)
    if (org !== null && NAME.test(data?.projectId) && NAME.test(data?.name)) {
      await emitTo(app, projectRoom(org, data.projectId), EVENTS.PROJECT_UPDATED, { orgId: org, projectId: data.projectId, name: data.name, by: client.userId ?? 'unknown' })
      answer = { ok: true }
    }
    return answer
  })

  // An admin route announcing to one organisation (a real app would check the caller is its admin).
  app.post('/orgs/:org/announcements', async (request) => {
    const { org } = /** @type {{ org: string }} */ (request.params)
    const { text } = /** @type {{ text: string }} */ (request.body)
    return { delivered: await emitTo(app, orgRoom(org), EVENTS.ORG_ANNOUNCEMENT, { orgId: org, text }) }
  })

  const address = await app.listen({ host, port })
  return { app, address }
}

module.exports = { start }

if (require.main === module) {
  start({ port: Number(process.env.PORT ?? 3000), secret: process.env.JWT_SECRET, logLevel: process.env.LOG_LEVEL }).then(({ app, address }) => {
    console.log(`multi-tenant app on ${address}`)
    for (const [sub, org] of [['ana', 'acme'], ['ben', 'globex']]) {
      console.log(`token for ${sub} of ${org} (1 h): ${app.jwt.sign({ sub, org }, { expiresIn: '1h' })}`)
    }
  }, (err) => {
    console.error(err)
    process.exit(1)
  })
}
