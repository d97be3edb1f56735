import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Server, Socket } from 'engine.io'
import type WebSocket from 'ws'

/*
 * Every touch of engine.io's private state, in one place. Checked against engine.io 6.6.12
 * (package.json pins ~6.6.12); test/internals.test.ts fails when an upgrade removes one of these or
 * changes its shape. They exist because @fastify/websocket, not engine.io, performs the upgrade, and
 * because the session ledger must see engine.io's queues.
 */

/** The steps of `Server#handleUpgrade` used one by one (private in engine.io's types). */
interface ServerInternals {
  /** Parses the query string into `req._query` (kept if already there). */
  prepare: (request: IncomingMessage) => void
  /** Starts a session on (or upgrades an existing session to) an open WebSocket. */
  onWebSocket: (request: IncomingMessage, socket: Duplex, websocket: WebSocket) => void
  /** The open sessions by sid (protected in engine.io's types). */
  clients: Record<string, Socket>
}

/** A request engine.io has parsed the query of, as its (protected) `verify` expects one. */
export type PreparedRequest = Parameters<Server['handleRequest']>[0] & { _query: Record<string, string> }

/** What an engine.io session keeps privately: packets not yet handed to its transport, and its transport. */
interface SessionInternals {
  writeBuffer: unknown[]
  /** Over WebSocket, `socket` is the ws socket the transport writes to. */
  transport: { name: string, socket?: { bufferedAmount: number, terminate: () => void } }
}

function serverInternals (server: Server): ServerInternals {
  return server as unknown as ServerInternals
}

function sessionInternals (conn: Socket): SessionInternals {
  return conn as unknown as SessionInternals
}

/**
 * engine.io's own parse of a request's query, stored on the request (engine.io reuses it when it
 * handles the request, so whoever reads it here reads what engine.io will). Throws on a URL engine.io
 * cannot parse.
 */
export function engineQuery (server: Server, request: IncomingMessage): Record<string, string | undefined> {
  return prepareRequest(server, request)._query
}

/** Has engine.io parse the request's query (as handleUpgrade does first), and returns it as parsed. */
export function prepareRequest (server: Server, request: IncomingMessage): PreparedRequest {
  serverInternals(server).prepare(request)
  return request as PreparedRequest
}

/** Whether `sid` names a session `server` holds. */
export function hasEngineSession (server: Server, sid: string): boolean {
  return Object.hasOwn(serverInternals(server).clients, sid)
}

/** What `handleUpgrade` does once it has upgraded: start a session, or upgrade one, on the WebSocket. */
export function startWebSocketSession (server: Server, request: IncomingMessage, websocket: WebSocket): void {
  serverInternals(server).onWebSocket(request, request.socket, websocket)
}

/** Packets engine.io has queued for a session and not handed to its transport yet (a polling client between polls). */
export function queuedPacketCount (conn: Socket): number {
  return sessionInternals(conn).writeBuffer.length
}

/** Over WebSocket, what ws itself still has to write to the client; 0 over polling. */
export function webSocketBufferedBytes (conn: Socket): number {
  const { transport } = sessionInternals(conn)
  return transport.name === 'websocket' ? transport.socket?.bufferedAmount ?? 0 : 0
}

/** Over WebSocket, destroys the ws socket now (no closing handshake); nothing over polling. */
export function terminateWebSocket (conn: Socket): void {
  const { transport } = sessionInternals(conn)
  if (transport.name === 'websocket') transport.socket?.terminate()
}

/**
 * Puts a session in the state engine.io's own `close()` enters first: from then on engine.io
 * ignores what the client sends and queues nothing more, while what is queued still goes out.
 * `readyState` has a public setter; that 'closing' has these effects is engine.io's internal logic.
 */
export function markSessionClosing (conn: Socket): void {
  conn.readyState = 'closing'
}
