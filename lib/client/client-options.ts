import type { ReconnectPolicy } from './backoff'
import { invalidClientOption } from './errors'
import type { TokenSource } from './token'
import { MAX_TIMER_DELAY } from '../protocol/timer-bounds'
import { DEFAULT_TIMERS, type Timers } from './timers'
import { globalWebSocket, type WebSocketConstructor } from './websocket-like'

export const DEFAULT_ACK_TIMEOUT = 10_000
export const DEFAULT_CONNECT_TIMEOUT = 10_000
export const DEFAULT_RECONNECT: ReconnectPolicy = Object.freeze({ initialDelay: 500, maxDelay: 30_000, maxAttempts: Infinity })

export interface ClientOptions {
  /** `ws://` or `wss://` URL of the plugin's WebSocket endpoint, e.g. `wss://api.example.com/ws`. */
  url: string
  /** A JWT, or a function returning one; a function is asked again before every (re)connect. */
  token?: TokenSource
  /** The WebSocket implementation; default: the global one (browsers, Node 22+). In older Node, pass `ws`. */
  WebSocket?: WebSocketConstructor
  /** Backoff for automatic reconnection, or false to never reconnect. */
  reconnect?: Partial<ReconnectPolicy> | false
  /** Milliseconds `join`, `leave`, `emitWithAck` and `ping` wait for the server's answer (default 10 s). */
  ackTimeout?: number
  /** Milliseconds an attempt waits for the welcome frame before giving up on that attempt (default 10 s). */
  connectTimeout?: number
  /** Random source in [0, 1) for the backoff jitter (default Math.random); for tests. */
  random?: () => number
  /** Timers for backoff, acks and connect timeouts (default the global ones); for tests. */
  timers?: Timers
}

export interface ResolvedClientOptions {
  readonly url: string
  readonly token: TokenSource | undefined
  readonly WebSocket: WebSocketConstructor
  /** `reconnect: false` resolves to a policy of zero attempts. */
  readonly reconnect: Readonly<ReconnectPolicy>
  readonly ackTimeout: number
  readonly connectTimeout: number
  readonly random: () => number
  readonly timers: Timers
}

/** Checks the options once, fills in defaults, and throws an `INVALID_OPTION` error naming the bad one. */
export function resolveClientOptions (options: ClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) throw invalidClientOption('options', 'an object')
  if (typeof options.url !== 'string' || !/^wss?:\/\//i.test(options.url)) throw invalidClientOption('url', 'a ws:// or wss:// URL')
  if (options.token !== undefined && typeof options.token !== 'string' && typeof options.token !== 'function') {
    throw invalidClientOption('token', 'a string or a function returning one')
  }
  const WebSocket = options.WebSocket ?? globalWebSocket()
  if (typeof WebSocket !== 'function') {
    throw invalidClientOption('WebSocket', 'a WebSocket constructor (this runtime has no global WebSocket; in Node before 22 pass the `ws` package)')
  }
  if (options.random !== undefined && typeof options.random !== 'function') throw invalidClientOption('random', 'a function')
  const timers = options.timers ?? DEFAULT_TIMERS
  if (typeof timers.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
    throw invalidClientOption('timers', 'an object with setTimeout and clearTimeout')
  }
  return Object.freeze({
    url: options.url,
    token: options.token,
    WebSocket,
    reconnect: resolveReconnect(options.reconnect),
    ackTimeout: positive('ackTimeout', options.ackTimeout, DEFAULT_ACK_TIMEOUT),
    connectTimeout: positive('connectTimeout', options.connectTimeout, DEFAULT_CONNECT_TIMEOUT),
    random: options.random ?? Math.random,
    timers
  })
}

function resolveReconnect (reconnect: ClientOptions['reconnect']): ResolvedClientOptions['reconnect'] {
  if (reconnect === false) return Object.freeze({ ...DEFAULT_RECONNECT, maxAttempts: 0 })
  if (reconnect !== undefined && (typeof reconnect !== 'object' || reconnect === null)) {
    throw invalidClientOption('reconnect', 'an object { initialDelay, maxDelay, maxAttempts } or false')
  }
  const initialDelay = positive('reconnect.initialDelay', reconnect?.initialDelay, DEFAULT_RECONNECT.initialDelay)
  const maxDelay = positive('reconnect.maxDelay', reconnect?.maxDelay, Math.max(DEFAULT_RECONNECT.maxDelay, initialDelay))
  if (maxDelay < initialDelay) throw invalidClientOption('reconnect.maxDelay', 'at least reconnect.initialDelay')
  const maxAttempts = reconnect?.maxAttempts ?? DEFAULT_RECONNECT.maxAttempts
  if (maxAttempts !== Infinity && !(Number.isSafeInteger(maxAttempts) && maxAttempts >= 0)) {
    throw invalidClientOption('reconnect.maxAttempts', 'a non-negative integer or Infinity')
  }
  return Object.freeze({ initialDelay, maxDelay, maxAttempts })
}

function positive (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_DELAY) {
    throw invalidClientOption(name, `a positive number of milliseconds, at most ${MAX_TIMER_DELAY}`)
  }
  return value
}
