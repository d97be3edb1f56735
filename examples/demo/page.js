'use strict'
// The demo page and the routes only it needs. DEMO ONLY: `/demo/token` hands a signed token to
// anyone who asks; a real app issues tokens from its own login.
const { readFile } = require('node:fs/promises')
const path = require('node:path')
const esbuild = require('esbuild')

const ROOT = path.join(__dirname, '..', '..')
const PUBLIC = path.join(__dirname, 'public')
const ROOM = /^public:[a-z0-9-]{1,32}$/

/** Bundles `fastify-realtime/client` from its TypeScript source into one browser script. */
async function bundleClient () {
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'lib', 'client', 'index.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'FastifyRealtimeClient',
    platform: 'browser',
    target: 'es2020',
    minify: true
  })
  return result.outputFiles[0].text
}

async function registerDemoPage (app) {
  const [clientBundle, socketIoClient, html, script] = await Promise.all([
    bundleClient(),
    readFile(path.join(ROOT, 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js'), 'utf8'),
    readFile(path.join(PUBLIC, 'index.html'), 'utf8'),
    readFile(path.join(PUBLIC, 'demo.js'), 'utf8')
  ])
  const javascript = (body) => (request, reply) => reply.type('text/javascript; charset=utf-8').send(body)

  app.get('/', (request, reply) => reply.type('text/html; charset=utf-8').send(html))
  app.get('/demo.js', javascript(script))
  app.get('/vendor/realtime-client.js', javascript(clientBundle))
  app.get('/vendor/socket.io.min.js', javascript(socketIoClient))

  // DEMO ONLY: a token for a made-up user, so the page can connect without a login.
  app.get('/demo/token', (request, reply) => {
    const sub = `visitor-${Math.random().toString(36).slice(2, 8)}`
    reply.type('text/plain').send(app.jwt.sign({ sub }, { expiresIn: '1h' }))
  })

  // The page's "emit" button: server code emitting into a room, like any route of a real app.
  app.post('/demo/emit', {
    schema: {
      body: {
        type: 'object',
        required: ['room', 'text'],
        properties: { room: { type: 'string', pattern: ROOM.source }, text: { type: 'string', maxLength: 200 } }
      }
    }
  }, async (request) => {
    const { room, text } = request.body
    const delivered = await app.realtime.to(room).emit('demo:message', { text, at: new Date().toISOString() })
    return { ok: delivered }
  })
}

module.exports = { registerDemoPage }
