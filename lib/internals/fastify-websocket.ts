import type { IncomingMessage } from 'node:http'

/*
 * The one internal of @fastify/websocket used here: the private symbol (description 'ws-head')
 * under which it keeps the upgrade's `head` buffer on the raw request, read only during the upgrade.
 * Checked against @fastify/websocket 11.3.6 (package.json: ^11.3.6); test/internals.test.ts fails
 * when an upgrade stops keeping the head there.
 */

const UPGRADE_HEAD = 'ws-head'

/**
 * Lets the upgrade's `head` go. Set to undefined rather than deleted, so the request keeps its shape
 * (and its size).
 */
export function forgetUpgradeHead (raw: IncomingMessage): void {
  const fields = raw as unknown as Record<symbol, unknown>
  for (const key of Object.getOwnPropertySymbols(fields)) {
    if (key.description === UPGRADE_HEAD) fields[key] = undefined
  }
}
