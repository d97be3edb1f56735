/*
 * pino's hooks, read and replaced on a logger. `Symbol.for('pino.hooks')` is the key pino exports as
 * `pino.symbols.hooksSym` (not imported: pino is Fastify's dependency, not ours); that replacing the
 * hooks and setting the level again rebuilds the log methods with them is pino's internal logic.
 * Checked against pino 10.4.0 (Fastify 5's); test/internals.test.ts fails when an upgrade changes it.
 */

const HOOKS = Symbol.for('pino.hooks')

export type LogMethod = (...args: unknown[]) => void
export type LogMethodHook = (this: unknown, args: unknown[], method: LogMethod, level: number) => void

/** A pino logger's hooks (pino keeps more of them; only logMethod matters here). */
export interface PinoHooks {
  logMethod?: LogMethodHook
  readonly [key: symbol]: unknown
}

interface PinoLike {
  [HOOKS]?: PinoHooks | null
  level: unknown
}

/** The hooks of `logger` when it is a pino logger; undefined for any other logger. */
export function pinoHooksOf (logger: object): PinoHooks | undefined {
  const { [HOOKS]: hooks, level } = logger as PinoLike
  if (typeof hooks !== 'object' || hooks === null || typeof level !== 'string') return undefined
  return hooks
}

/** Replaces the hooks of a pino logger (one `pinoHooksOf` recognised) and has pino rebuild its log methods with them. */
export function replacePinoHooks (logger: object, hooks: PinoHooks): void {
  const pino = logger as PinoLike
  pino[HOOKS] = hooks
  // pino builds each level's method with the hook when the level is set.
  const level = pino.level
  pino.level = level
}
