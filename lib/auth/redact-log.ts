import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { pinoHooksOf, replacePinoHooks, type PinoHooks } from '../internals/pino'
import { redactLogArguments } from './redact-log-arguments'
import { redactCredentials } from './redact-url'

// Marks the hooks this module installed, so registering twice does not redact twice.
const INSTALLED = Symbol('fastify-realtime.redaction')

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const

/**
 * The URL of a request with its credentials (`token`, `sid`) redacted, however written; see
 * redactCredentials. Kept under this name, which the package exports.
 */
export function redactTokenFromUrl (url: string): string {
  return redactCredentials(url)
}

/**
 * Keeps `token` and `sid` values out of every line the app's logger writes, from the moment the
 * plugin is registered: Fastify's "incoming request" line (whatever `req` serializer formats it),
 * its "Route GET:/…?token=… not found" line, error lines, the app's own lines.
 *
 * With pino (Fastify's logger, or a pino `loggerInstance`), the redaction is a `logMethod` hook of
 * the app's root logger, which every request's logger derives from: it covers every route of the
 * app, registered before or after the plugin, in every encapsulated context (whatever their
 * `logSerializers`), the 404 handlers, and loggers the app derived from `fastify.log`. An app's
 * own `hooks.logMethod` still runs, after it. Any other logger has its log methods wrapped in
 * place, and those of the children it makes, with the same coverage as long as Fastify's request
 * loggers are its children (Fastify's default child logger factory).
 */
export function redactCredentialsInAppLogs (instance: FastifyInstance): void {
  const log = instance.log
  if (log.child({}) === log) return // Fastify's logger when logging is off: nothing is written.
  if (!hookPino(log)) wrapLogger(log)
}

function hookPino (logger: FastifyBaseLogger): boolean {
  const hooks = pinoHooksOf(logger)
  if (hooks === undefined) return false
  if (hooks[INSTALLED] === true) return true
  const appHook = hooks.logMethod
  const redacting: PinoHooks = {
    ...hooks,
    [INSTALLED]: true,
    logMethod (args, method, level) {
      const redacted = redactLogArguments(args)
      if (appHook === undefined) method.apply(this, redacted)
      else appHook.call(this, redacted, method, level)
    }
  }
  replacePinoHooks(logger, redacting)
  return true
}

const wrapped = new WeakSet<object>()

/**
 * For a logger that is not pino: its log methods are wrapped in place, and so are those of every
 * child it makes (each request's logger is one), so its own lines and every request's are redacted.
 */
function wrapLogger (logger: FastifyBaseLogger): FastifyBaseLogger {
  // A frozen logger cannot be wrapped in place; registering must not fail for it.
  if (wrapped.has(logger) || Object.isFrozen(logger)) return logger
  wrapped.add(logger)
  const methods = logger as unknown as Record<string, unknown>
  for (const level of LEVELS) {
    const method = methods[level]
    if (typeof method !== 'function') continue
    methods[level] = function (this: unknown, ...args: unknown[]) { return method.apply(this, redactLogArguments(args)) as unknown }
  }
  const child = logger.child
  methods.child = function (this: unknown, ...args: Parameters<FastifyBaseLogger['child']>) {
    return wrapLogger(child.apply(this, args))
  }
  return logger
}
