import type { Test } from 'tap'
import WebSocket from 'ws'
import { createClient, type Client, type ClientOptions, type EventsMap, type LifecycleEvents } from '../../lib/client'
import { CLIENT_LIFECYCLE_EVENTS } from '../../lib/protocol/names'

/** A client of `fastify-realtime/client` using `ws`, closed when the test ends. */
export function newClient<ServerEvents extends EventsMap = Record<string, (data: unknown) => unknown>, ClientEvents extends EventsMap = Record<string, (data: unknown) => unknown>> (t: Test, options: Omit<ClientOptions, 'WebSocket'>): Client<ServerEvents, ClientEvents> {
  const client = createClient<ServerEvents, ClientEvents>({ WebSocket, ...options })
  t.teardown(() => client.close())
  return client
}

/** Resolves with the payload of the client's next `event`, or rejects after `timeoutMs`. */
export async function nextEvent<E extends keyof LifecycleEvents> (client: Client, event: E, timeoutMs?: number): Promise<LifecycleEvents[E]>
export async function nextEvent (client: Client, event: string, timeoutMs?: number): Promise<{ data: unknown, room: string | undefined }>
export async function nextEvent (client: Client, event: string, timeoutMs = 5_000): Promise<unknown> {
  return await new Promise((resolve, reject) => {
    const listener = (data: unknown, room: string | undefined): void => {
      clearTimeout(timer)
      client.off(event, listener)
      resolve(isLifecycle(event) ? data : { data, room })
    }
    const timer = setTimeout(() => {
      client.off(event, listener)
      reject(new Error(`timed out waiting for the client's "${event}" event`))
    }, timeoutMs)
    client.on(event, listener)
  })
}

function isLifecycle (event: string): boolean {
  return CLIENT_LIFECYCLE_EVENTS.has(event)
}

/** Records every payload of the given lifecycle events, in order, as `[name, payload]`. */
export function recordEvents (client: Client, events: Array<keyof LifecycleEvents>): Array<[string, unknown]> {
  const seen: Array<[string, unknown]> = []
  for (const event of events) client.on(event, (payload: unknown) => { seen.push([event, payload]) })
  return seen
}
