import type { FastifyInstance, FastifyRequest } from 'fastify'

const SERIALIZERS = Symbol.for('pino.serializers')
const REDACTED = '[REDACTED]'

/**
 * The URL with the value of every `token` query parameter replaced, however its name is written:
 * the query parser decodes names, so `?%74oken=` is a token too.
 */
export function redactTokenFromUrl (url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart === -1) return url
  const hashStart = url.indexOf('#', queryStart)
  const queryEnd = hashStart === -1 ? url.length : hashStart
  let redacted = false
  const pairs = url.slice(queryStart + 1, queryEnd).split('&').map((pair) => {
    const separator = pair.indexOf('=')
    const name = separator === -1 ? pair : pair.slice(0, separator)
    if (!isTokenName(name)) return pair
    redacted = true
    return `${name}=${REDACTED}`
  })
  return redacted ? `${url.slice(0, queryStart + 1)}${pairs.join('&')}${url.slice(queryEnd)}` : url
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
