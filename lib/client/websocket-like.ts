/**
 * The part of the WebSocket API the client uses, declared here because the package is compiled
 * without the DOM lib. The browser's `WebSocket`, Node 22's global one and the `ws` package's all
 * satisfy it. Listeners are attached with `addEventListener` (a method, so each implementation's
 * richer event types are accepted) and never removed: a socket the client has let go of is
 * recognised by its session and ignored.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number
  send (data: string): void
  close (code?: number, reason?: string): void
  addEventListener (type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener (type: 'close', listener: (event: { code: number, reason: string }) => void): void
  addEventListener (type: 'error', listener: () => void): void
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

export const WEBSOCKET_OPEN = 1

/** The runtime's own WebSocket (browsers, Node 22+), if it has one. */
export function globalWebSocket (): WebSocketConstructor | undefined {
  const candidate = (globalThis as { WebSocket?: unknown }).WebSocket
  return typeof candidate === 'function' ? candidate as WebSocketConstructor : undefined
}
