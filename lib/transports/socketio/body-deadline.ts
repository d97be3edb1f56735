import type { IncomingMessage } from 'node:http'

/**
 * Gives a request's body `ms` to arrive in full; past that the request (and its socket) is
 * destroyed. Fastify's `requestTimeout` is 0 by default and Node's only bounds what it is told to,
 * so a long-poll POST whose body trickles in a byte at a time would otherwise hold its socket (and
 * engine.io its session's data request) for as long as the client likes. Made once per POST, and
 * gone with it.
 */
export function limitBodyTime (request: IncomingMessage, ms: number): void {
  if (request.complete) return
  const timer = setTimeout(abortSlowBody, ms, request)
  const clear = (): void => { clearTimeout(timer) }
  request.once('end', clear)
  request.once('close', clear)
}

function abortSlowBody (request: IncomingMessage): void {
  // engine.io hears the data request close early and ends the session: a client that cannot send
  // one payload in time is treated as gone.
  request.destroy()
}
