import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type WebSocket from 'ws'
import { CLOSE_CODES, RealtimeError } from '../../errors'
import type { Gateway } from '../../gateway'
import { admit } from '../../hub/admission'
import { ANONYMOUS } from '../../auth/verify-token'
import type { WelcomePayload } from '../../protocol/frames'
import { CONNECTION_ID_PREFIX } from '../../protocol/names'
import { parseResumeRequest } from '../../recovery/resume-request'
import type { StreamPosition } from '../../recovery/stream-position'
import type { Room } from '../../types'
import { releaseHandshake } from '../release-handshake'
import { WsConnection } from './ws-connection'

const CONNECTION = Symbol('fastify-realtime.connection')

/** The hub's disconnect mark when each handshake's token check began (see RecentSelections). */
const disconnectMarks = new WeakMap<FastifyRequest, number>()
/** The positions a handshake resumes from (`?resume=`, with the `recovery` option). */
const resumes = new WeakMap<FastifyRequest, Map<Room, StreamPosition>>()

type TrackedSocket = WebSocket & { [CONNECTION]: WsConnection }

/**
 * The raw WebSocket endpoint: a GET route whose hooks (origin check, handshake throttle, then JWT
 * verification in preValidation) answer with an HTTP error before any 101 is sent.
 * `ownsWebsocketPlugin`: the plugin registered @fastify/websocket itself (see releaseHandshake).
 */
export function registerWsRoute (instance: FastifyInstance, gateway: Gateway, path: string, handshakeChecks: onRequestAsyncHookHandler[], ownsWebsocketPlugin: boolean): void {
  instance.route({
    method: 'GET',
    url: path,
    // The plugin's own per-IP throttle is in handshakeChecks; an app-wide @fastify/rate-limit must not pre-empt it.
    config: { rateLimit: false },
    onRequest: handshakeChecks,
    preValidation: async (request) => {
      disconnectMarks.set(request, gateway.hub.recentSelections.mark)
      request.realtimeIdentity = await gateway.authenticator.identifyRequest(request)
      const resume = (request.query as Record<string, unknown> | undefined)?.resume
      // Without recovery there is nothing to resume: the parameter is ignored, and the client's rooms are re-joined as ever.
      if (resume !== undefined && gateway.options.recovery !== false) resumes.set(request, parseResumeRequest(resume))
    },
    handler: upgradeRequired,
    wsHandler: (socket, request) => {
      if (ownsWebsocketPlugin) {
        releaseHandshake(socket, request)
        socket.on('error', onSocketError)
      }
      accept(gateway, socket, request)
    }
  })
}

async function upgradeRequired (_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const refusal = new RealtimeError('BAD_REQUEST', 'This endpoint only accepts WebSocket upgrades')
  await reply.code(426).header('upgrade', 'websocket').send({ ...refusal.toHttpBody(), statusCode: 426 })
}

function accept (gateway: Gateway, socket: WebSocket, request: FastifyRequest): void {
  const connection = new WsConnection(CONNECTION_ID_PREFIX + randomUUID(), request.realtimeIdentity ?? ANONYMOUS, gateway, socket, request.raw.socket)
  const tracked = socket as TrackedSocket
  tracked[CONNECTION] = connection
  // Shared listeners (not closures per connection) find their connection through the symbol.
  socket.on('message', onMessage)
  socket.on('pong', onPong)
  socket.on('close', onClose)
  const disconnectsSeen = disconnectMarks.get(request) ?? gateway.hub.recentSelections.mark
  const greet = (welcome: WelcomePayload): void => { connection.send({ type: 'welcome', ...welcome }) }
  const isOpen = (): boolean => connection.isOpen
  admit(connection, gateway, isOpen, { disconnectsSeen, resume: resumes.get(request), greet }).then(async (admitted) => {
    // The client's frames wait for the app's connection hooks (see ConnectionHooks).
    if (admitted && await gateway.hooks.connect(connection, isOpen)) connection.startHandling()
  }, (err: unknown) => {
    gateway.log.error({ err, connectionId: connection.id }, 'fastify-realtime: connection setup (autoJoin) failed')
    connection.close(CLOSE_CODES.INTERNAL, 'setup failed')
  })
}

function onMessage (this: WebSocket, data: Buffer, isBinary: boolean): void {
  const connection = connectionOf(this)
  try {
    connection.receive(data, isBinary)
  } catch (err) {
    // A bug of ours must cost this client a frame, never the process.
    connection.gateway.log.error({ err, connectionId: connection.id }, 'fastify-realtime: failed to handle a frame')
    connection.sendError(undefined, new RealtimeError('INTERNAL'))
  }
}

/** What @fastify/websocket's default error handler does (log, terminate), as one shared listener. */
function onSocketError (this: WebSocket, err: Error): void {
  const connection = connectionOf(this)
  connection.gateway.log.error({ err, connectionId: connection.id }, 'fastify-realtime: socket error')
  this.terminate()
}

function onPong (this: WebSocket): void {
  connectionOf(this).markAlive()
}

function onClose (this: WebSocket, code: number): void {
  connectionOf(this).onClosed(code)
}

function connectionOf (socket: WebSocket): WsConnection {
  return (socket as TrackedSocket)[CONNECTION]
}
