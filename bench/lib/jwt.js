'use strict'
const { createSigner, createVerifier } = require('fast-jwt')

/** The one secret every server under test verifies with (HS256, as @fastify/jwt uses for a string secret). */
const SECRET = 'fastify-realtime-bench-secret-of-enough-length'
const TOKEN_LIFETIME_MS = 60 * 60 * 1000

/** Signs bench tokens: `{ sub, room, exp }`, so every server can read the client's room from its token. */
function createTokenSigner () {
  const sign = createSigner({ key: SECRET, algorithm: 'HS256', expiresIn: TOKEN_LIFETIME_MS })
  return (sub, room) => sign({ sub, room })
}

/** What the baseline servers use to verify a handshake's token (the same library @fastify/jwt wraps). */
function createTokenVerifier () {
  return createVerifier({ key: SECRET, algorithms: ['HS256'], requiredClaims: ['exp'] })
}

module.exports = { SECRET, createTokenSigner, createTokenVerifier }
