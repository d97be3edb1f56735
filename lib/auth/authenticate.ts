import type { JWT } from '@fastify/jwt'
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import { RealtimeError } from '../errors'
import type { ResolvedOptions } from '../options'
import type { Identity } from '../types'
import { extractToken, MALFORMED_TOKEN, type PresentedToken } from './token'
import { ANONYMOUS, verifyToken } from './verify-token'

/** Turns a token (or its absence) into an Identity for either transport. */
export class Authenticator {
  private readonly jwt: JWT | undefined
  private readonly auth: ResolvedOptions['auth']
  private readonly log: FastifyBaseLogger

  constructor (jwt: JWT | undefined, auth: ResolvedOptions['auth'], log: FastifyBaseLogger) {
    this.jwt = jwt
    this.auth = auth
    this.log = log
  }

  /** A missing token is anonymous when auth is optional; a present but bad (or malformed) token is always refused. */
  async identify (token: PresentedToken): Promise<Identity> {
    if (token === MALFORMED_TOKEN) throw new RealtimeError('UNAUTHORIZED', 'Malformed token')
    if (token === undefined) {
      if (this.auth.required) throw new RealtimeError('UNAUTHORIZED', 'Missing token')
      return ANONYMOUS
    }
    if (this.jwt === undefined) throw new RealtimeError('UNAUTHORIZED', 'This server accepts no tokens')
    return await verifyToken(this.jwt, token, this.auth, this.log)
  }

  /** For a handshake request: token from the Authorization header, `?token=` or the subprotocol. */
  async identifyRequest (request: FastifyRequest): Promise<Identity> {
    return await this.identify(extractToken(request))
  }
}
