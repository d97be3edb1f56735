import { isCredentialKey, redactCredentials } from './redact-url'

const REDACTED = '[REDACTED]'

/**
 * The arguments of one log call with credentials in URLs redacted: every string argument (a
 * message such as Fastify's `Route GET:/x?token=… not found`), every string property of a plain
 * merging object and of the plain objects in it (a `query`), and its `req` (Fastify's request, which every request serializer reads: the app's
 * own, a route's `logSerializers`, Fastify's default) replaced by a view whose `url`,
 * `originalUrl`, `raw.url` and `query` are redacted. Returns `args` itself when nothing changes,
 * so a log call without credentials costs a scan and no copies.
 */
export function redactLogArguments (args: unknown[]): unknown[] {
  let changed: unknown[] | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    const redacted = typeof arg === 'string' ? redactCredentials(arg) : isPlainObject(arg) ? redactMergingObject(arg) : arg
    if (redacted === arg) continue
    changed ??= [...args]
    changed[i] = redacted
  }
  return changed ?? args
}

/**
 * An object made to hold data (`{}`, `Object.create(null)`, or a parsed query such as
 * fast-querystring's, whose prototype has a null prototype), not an Error, a request or a stream.
 */
function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null || Object.getPrototypeOf(prototype) === null
}

function redactMergingObject (object: Record<string, unknown>): Record<string, unknown> {
  let changed: Record<string, unknown> | undefined
  for (const key of Object.keys(object)) {
    const value = object[key]
    const redacted = typeof value === 'string' ? redactCredentials(value) : key === 'req' ? redactRequest(value) : redactQuery(value)
    if (redacted === value) continue
    changed ??= { ...object }
    changed[key] = redacted
  }
  return changed ?? object
}

interface RequestLike {
  url?: unknown
  originalUrl?: unknown
  raw?: unknown
  query?: unknown
}

/** A view of a request (Fastify's or a raw IncomingMessage) that reads like it, with credentials redacted. */
function redactRequest (value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const request = value as RequestLike
  const overrides: PropertyDescriptorMap = {}
  for (const key of ['url', 'originalUrl'] as const) {
    const url = request[key]
    if (typeof url === 'string' && redactCredentials(url) !== url) overrides[key] = { value: redactCredentials(url) }
  }
  const raw = request.raw
  if (typeof raw === 'object' && raw !== null) {
    const rawView = redactRequest(raw)
    if (rawView !== raw) overrides.raw = { value: rawView }
  }
  const query = redactQuery(request.query)
  if (query !== request.query) overrides.query = { value: query }
  // Everything else (method, headers, ip, id, routeOptions…) is read through to the request.
  return Object.keys(overrides).length === 0 ? value : Object.create(value, overrides)
}

/**
 * A parsed query (or any plain object one level down in a log call): its credential keys' values
 * replaced, its strings redacted.
 */
function redactQuery (query: unknown): unknown {
  if (!isPlainObject(query)) return query
  let changed: Record<string, unknown> | undefined
  for (const key of Object.keys(query)) {
    const value = query[key]
    const redacted = isCredentialKey(key) ? REDACTED : typeof value === 'string' ? redactCredentials(value) : value
    if (redacted === value) continue
    changed ??= { ...query }
    changed[key] = redacted
  }
  return changed ?? query
}
