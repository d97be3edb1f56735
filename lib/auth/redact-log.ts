import type { FastifyInstance, FastifyRequest } from 'fastify'

const SERIALIZERS = Symbol.for('pino.serializers')
const TOKEN_IN_QUERY = /([?&]token=)[^&#]*/gi

/** The URL with the value of every `token` query parameter replaced. */
export function redactTokenFromUrl (url: string): string {
  return url.replace(TOKEN_IN_QUERY, '$1[REDACTED]')
}

function hasTokenParameter (url: string): boolean {
  return url.includes('token=')
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
        req: (request: FastifyRequest) => serializeRequest(hasTokenParameter(request.url)
          ? Object.create(request, { url: { value: redactTokenFromUrl(request.url) } })
          : request)
      }
    })
  })
}
