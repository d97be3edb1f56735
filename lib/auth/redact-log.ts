import type { FastifyInstance, FastifyRequest } from 'fastify'

const SERIALIZERS = Symbol.for('pino.serializers')
const REDACTED = '[REDACTED]'

/** A parameter name, after any character that can start one in the eyes of Fastify's router and query parser. */
const PARAMETER_NAME = /[?&#;]([^?&#;=]*)=/g

/**
 * The URL with the value of every `token` query parameter replaced, however its name is written
 * (the query parser decodes names, so `?%74oken=` is a token too) and wherever the query starts:
 * the router takes it from the first `?` or `#`, so every name after one of `?`, `#`, `;` or `&`
 * counts, and a value runs to the next `&`, as the parser reads it.
 */
export function redactTokenFromUrl (url: string): string {
  let redacted = ''
  let copiedUpTo = 0
  for (const match of url.matchAll(PARAMETER_NAME)) {
    const valueStart = (match.index ?? 0) + match[0].length
    if (valueStart <= copiedUpTo || !isTokenName(match[1])) continue
    const nextParameter = url.indexOf('&', valueStart)
    redacted += url.slice(copiedUpTo, valueStart) + REDACTED
    copiedUpTo = nextParameter === -1 ? url.length : nextParameter
  }
  return copiedUpTo === 0 ? url : redacted + url.slice(copiedUpTo)
}

function isTokenName (name: string): boolean {
  try {
    return decodeURIComponent(name.replaceAll('+', ' ')).toLowerCase() === 'token'
  } catch {
    // Not decodable: the parser may still make something of it, so err on the side of hiding it.
    return name.toLowerCase().includes('token')
  }
}

type RequestSerializer = (request: FastifyRequest) => unknown

/**
 * Makes the request logger of every route in `instance` (an encapsulated context) log URLs with
 * `?token=` redacted, so Fastify's "incoming request" line never carries a token. It wraps the
 * app's own `req` serializer, whatever it is, by handing it a view of the request with a redacted url.
 */
export function redactTokensInRequestLogs (instance: FastifyInstance): void {
  instance.setChildLoggerFactory(function (logger, bindings, childOptions) {
    const serializers = (logger as unknown as Record<symbol, Record<string, RequestSerializer> | undefined>)[SERIALIZERS]
    const serializeRequest: RequestSerializer = serializers?.req ?? ((request) => ({ method: request.method, url: request.url }))
    return logger.child(bindings, {
      ...childOptions,
      serializers: {
        ...childOptions.serializers,
        req: (request: FastifyRequest) => {
          const url = redactTokenFromUrl(request.url)
          return serializeRequest(url === request.url ? request : Object.create(request, { url: { value: url } }))
        }
      }
    })
  })
}
