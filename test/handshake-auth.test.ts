import { generateKeyPairSync, createHmac } from 'node:crypto'
import t from 'tap'
import Fastify from 'fastify'
import fastifyJwt from '@fastify/jwt'
import realtime from '../lib/index'
import { SECRET, startServer } from './helpers/app'
import { ioRefused } from './helpers/socketio-client'
import { connect, refused } from './helpers/ws-client'

function base64url (value: string | Buffer): string {
  return Buffer.from(value).toString('base64url')
}

/** Signs a token by hand, so tests can craft what @fastify/jwt would refuse to make. */
function handSigned (header: object, payload: object, key: string | Buffer | null): string {
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  const signature = key === null ? '' : createHmac('sha256', key).update(unsigned).digest('base64url')
  return `${unsigned}.${signature}`
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600

t.test('refuses the upgrade with 401 and a JSON code when no token is sent', async (t) => {
  const server = await startServer(t)
  const refusal = await refused(server.wsUrl)
  t.equal(refusal.statusCode, 401)
  t.equal(refusal.headers['www-authenticate'], 'Bearer')
  t.match(await refusal.body, { statusCode: 401, code: 'UNAUTHORIZED' })
})

t.test('refuses a token signed with another secret', async (t) => {
  const server = await startServer(t)
  const token = handSigned({ alg: 'HS256', typ: 'JWT' }, { sub: '1', exp: inAnHour() }, 'another-secret')
  const refusal = await refused(server.wsUrl, { token })
  t.equal(refusal.statusCode, 401)
  t.match(await refusal.body, { code: 'UNAUTHORIZED' })
})

t.test('refuses a token with a tampered payload', async (t) => {
  const server = await startServer(t)
  const [header, , signature] = server.token('1').split('.')
  const forged = `${header}.${base64url(JSON.stringify({ sub: 'admin', exp: inAnHour() }))}.${signature}`
  t.equal((await refused(server.wsUrl, { token: forged })).statusCode, 401)
})

t.test('refuses an unsigned token with alg none', async (t) => {
  const server = await startServer(t)
  const token = handSigned({ alg: 'none', typ: 'JWT' }, { sub: '1', exp: inAnHour() }, null)
  t.equal((await refused(server.wsUrl, { token })).statusCode, 401)
})

t.test('refuses an HS256 token signed with the RSA public key (algorithm confusion)', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const server = await startServer(t, { jwt: { secret: { public: publicPem, private: privatePem }, sign: { algorithm: 'RS256' } } })
  const genuine = server.app.jwt.sign({ sub: '1' }, { expiresIn: '1h' })
  const { client } = await connect(server.wsUrl, { token: genuine })
  client.close()
  const confused = handSigned({ alg: 'HS256', typ: 'JWT' }, { sub: '1', exp: inAnHour() }, publicPem)
  t.equal((await refused(server.wsUrl, { token: confused })).statusCode, 401)
})

t.test('refuses a token without exp by default', async (t) => {
  const server = await startServer(t)
  const token = server.app.jwt.sign({ sub: '1' })
  const refusal = await refused(server.wsUrl, { token })
  t.equal(refusal.statusCode, 401)
  t.match(await refusal.body, { code: 'UNAUTHORIZED', message: 'Token has no expiry' })
})

t.test('accepts a token without exp when auth.requireExpiry is false', async (t) => {
  const server = await startServer(t, { auth: { requireExpiry: false } })
  const { client, welcome } = await connect(server.wsUrl, { token: server.app.jwt.sign({ sub: '1' }) })
  t.equal(welcome.user?.sub, '1')
  client.close()
})

t.test('refuses an expired token with code TOKEN_EXPIRED', async (t) => {
  const server = await startServer(t)
  const token = handSigned({ alg: 'HS256', typ: 'JWT' }, { sub: '1', exp: Math.floor(Date.now() / 1000) - 60 }, SECRET)
  const refusal = await refused(server.wsUrl, { token })
  t.equal(refusal.statusCode, 401)
  t.match(await refusal.body, { code: 'TOKEN_EXPIRED' })
})

t.test('refuses a token that is not valid yet (nbf)', async (t) => {
  const server = await startServer(t)
  const token = handSigned({ alg: 'HS256', typ: 'JWT' }, { sub: '1', exp: inAnHour(), nbf: inAnHour() - 60 }, SECRET)
  t.equal((await refused(server.wsUrl, { token })).statusCode, 401)
})

t.test('refuses a token with the wrong issuer when the app pins one', async (t) => {
  const server = await startServer(t, { jwt: { secret: SECRET, verify: { allowedIss: 'https://issuer.example' } } })
  const wrong = server.app.jwt.sign({ sub: '1', iss: 'https://evil.example' }, { expiresIn: '1h' })
  t.equal((await refused(server.wsUrl, { token: wrong })).statusCode, 401)
  const right = server.app.jwt.sign({ sub: '1', iss: 'https://issuer.example' }, { expiresIn: '1h' })
  const { client } = await connect(server.wsUrl, { token: right })
  client.close()
})

t.test('refuses a token without a subject', async (t) => {
  const server = await startServer(t)
  const token = server.app.jwt.sign({ name: 'nobody' }, { expiresIn: '1h' })
  t.match(await (await refused(server.wsUrl, { token })).body, { code: 'UNAUTHORIZED', message: 'Token has no valid subject' })
})

t.test('reads the user id with auth.userId', async (t) => {
  const server = await startServer(t, { auth: { userId: (payload) => payload.uid as string } })
  const token = server.app.jwt.sign({ uid: 'u-7' }, { expiresIn: '1h' })
  const { client, welcome } = await connect(server.wsUrl, { token })
  t.same(welcome.rooms, ['user:u-7'])
  client.close()
})

t.test('accepts the token from the Authorization header, ?token= and the bearer subprotocol', async (t) => {
  const server = await startServer(t)
  const token = server.token('9')
  const viaHeader = await connect(server.wsUrl, { token })
  t.same(viaHeader.welcome.rooms, ['user:9'])
  const viaQuery = await connect(`${server.wsUrl}?token=${token}`)
  t.same(viaQuery.welcome.rooms, ['user:9'])
  const viaProtocol = await connect(server.wsUrl, { protocols: ['realtime.v1', `bearer.${token}`] })
  t.same(viaProtocol.welcome.rooms, ['user:9'])
  t.equal(viaProtocol.client.ws.protocol, 'realtime.v1', 'the server selects realtime.v1, never the token')
  for (const { client } of [viaHeader, viaQuery, viaProtocol]) client.close()
})

t.test('admits anonymous clients when auth.required is false, and refuses a bad token all the same', async (t) => {
  const server = await startServer(t, { auth: { required: false } })
  const { client, welcome } = await connect(server.wsUrl)
  t.equal(welcome.user, null)
  t.same(welcome.rooms, [])
  client.close()
  t.equal((await refused(server.wsUrl, { token: 'not-a-jwt' })).statusCode, 401)
})

t.test('a credential that cannot be a token is refused, never taken for no token, even when auth is optional', async (t) => {
  const server = await startServer(t, { auth: { required: false } })
  const token = server.token('1')
  t.match(await (await refused(`${server.wsUrl}?token=${token}&token=${token}`)).body, { code: 'UNAUTHORIZED', message: 'Malformed token' }, 'two ?token= values')
  t.equal((await refused(server.wsUrl, { headers: { authorization: `Bearer ${token} ${token}` } })).statusCode, 401, 'a Bearer header of two parts')
  t.equal((await refused(server.wsUrl, { headers: { authorization: 'Bearer' } })).statusCode, 401, 'a Bearer header with no token')
  const refusal = await ioRefused(t, server.httpUrl, { auth: { token: 42 }, transports: ['websocket'] })
  t.equal(refusal.data?.code, 'UNAUTHORIZED', 'Socket.IO: an auth.token that is not a string')
  const { client, welcome } = await connect(server.wsUrl, { headers: { authorization: 'Basic dXNlcjpwYXNz' } })
  t.equal(welcome.user, null, 'another scheme is no token: anonymous')
  client.close()
})

t.test('anonymous clients may join only the rooms canJoin allows for them', async (t) => {
  const server = await startServer(t, {
    auth: { required: false },
    canJoin: (user, room) => room.startsWith('public:') || user !== null
  })
  const { client } = await connect(server.wsUrl)
  t.match(await client.request({ type: 'join', room: 'public:lobby' }), { type: 'ack', data: { room: 'public:lobby' } })
  t.match(await client.request({ type: 'join', room: 'org:1' }), { type: 'error', code: 'FORBIDDEN' })
  client.close()
})

t.test('reuses @fastify/jwt when the app registered it first', async (t) => {
  const app = Fastify()
  await app.register(fastifyJwt, { secret: SECRET })
  await app.register(realtime)
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address() as { port: number }
  const { client, welcome } = await connect(`ws://127.0.0.1:${address.port}/ws`, { token: app.jwt.sign({ sub: 'x' }, { expiresIn: '1h' }) })
  t.same(welcome.rooms, ['user:x'])
  client.close()
})

t.test('the plugin\'s jwt options next to an @fastify/jwt the app registered fail at register time', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyJwt, { secret: 'the app\'s own secret' })
  await t.rejects(async () => await app.register(realtime, { jwt: { secret: SECRET, verify: { allowedAud: 'realtime' } } }), { code: 'FST_REALTIME_INVALID_OPTION', message: /"jwt"/ })
})

t.test('auth.trusted refuses revoked tokens at the handshake and at a refresh, on both transports; jwt.trusted is refused', async (t) => {
  const revoked = new Set<string>()
  const server = await startServer(t, { auth: { trusted: async (payload) => !revoked.has(String(payload.jti)) } })
  const token = (jti: string): string => server.app.jwt.sign({ sub: '1', jti }, { expiresIn: '1h' })
  revoked.add('old')
  t.match(await (await refused(server.wsUrl, { token: token('old') })).body, { statusCode: 401, code: 'UNAUTHORIZED', message: 'Token revoked' })
  const refusal = await ioRefused(t, server.httpUrl, { token: token('old'), transports: ['websocket'] })
  t.equal(refusal.data?.code, 'UNAUTHORIZED', 'Socket.IO: connect_error')
  const { client } = await connect(server.wsUrl, { token: token('current') })
  revoked.add('next')
  t.match(await client.request({ type: 'auth', token: token('next') }), { type: 'error', code: 'UNAUTHORIZED' }, 'a revoked refresh token')
  client.close()
  await t.rejects(startServer(t, { jwt: { secret: SECRET, trusted: () => true } }), { code: 'FST_REALTIME_INVALID_OPTION', message: /jwt\.trusted/ })
})
