import { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/*
 * The one internal of Node's http module used here: `socket._httpMessage`, where
 * ServerResponse#assignSocket (which @fastify/websocket calls on the hijacked response) puts the
 * response. Checked against Node 20 and 22 (package.json: engines >=20); test/internals.test.ts fails
 * when a Node version stops putting it there.
 */

/** The ServerResponse assigned to `socket`, if any. */
export function assignedResponse (socket: Socket): ServerResponse | undefined {
  const response = (socket as Socket & { _httpMessage?: unknown })._httpMessage
  return response instanceof ServerResponse && response.socket === socket ? response : undefined
}
