import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { redactLogArguments } from './redact-log-arguments'
import { redactCredentials } from './redact-url'

/** pino's public symbol for its hooks (`hooks.logMethod` among them). */
const HOOKS = Symbol.for('pino.hooks')
const INSTALLED = Symbol('fastify-realtime.redaction')

type LogMethod = (...args: unknown[]) => void
type LogMethodHook = (this: unknown, args: unknown[], method: LogMethod, level: number) => void

interface PinoLike {
  [HOOKS]?: { logMethod?: LogMethodHook, [INSTALLED]?: true }
  level: string
}

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
  if (!hookPino(log as unknown as PinoLike)) wrapLogger(log)
}

function hookPino (logger: PinoLike): boolean {
  const hooks = logger[HOOKS]
  if (typeof hooks !== 'object' || hooks === null || typeof logger.level !== 'string') return false
  if (hooks[INSTALLED] === true) return true
  const appHook = hooks.logMethod
  logger[HOOKS] = {
    ...hooks,
    [INSTALLED]: true,
    logMethod (args, method, level) {
      const redacted = redactLogArguments(args)
      if (appHook === undefined) method.apply(this, redacted)
      else appHook.call(this, redacted, method, level)
    }
  }
  // pino builds each level's method with the hook when the level is set: have it rebuild them.
  const level = logger.level
  logger.level = level
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
