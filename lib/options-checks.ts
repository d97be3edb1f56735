/** The checks every option goes through: each throws FST_REALTIME_INVALID_OPTION naming the option. */
import { invalidOption } from './errors'
import { MAX_TIMER_DELAY } from './protocol/timer-bounds'

/** A positive number of milliseconds a timer can wait. */
export function duration (name: string, value: unknown, fallback: number | undefined): number {
  const ms = positiveInteger(name, value, fallback)
  if (ms > MAX_TIMER_DELAY) throw invalidOption(name, `at most ${MAX_TIMER_DELAY} milliseconds (about 24.8 days)`)
  return ms
}

/** An option that must be a positive integer, or `fallback` when left out (and fallback is given). */
export function positiveInteger (name: string, value: unknown, fallback: number | undefined): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw invalidOption(name, 'a positive integer')
  return value
}

export function optionalBoolean (name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalidOption(name, 'a boolean')
  return value
}

export function optionalFunction<T> (name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidOption(name, 'a function')
  return value
}

export function optionalObject<T> (name: string, value: T | undefined): T | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null)) throw invalidOption(name, 'an object')
  return value
}
