import type { Room } from '../types'
import type { EventPosition } from './positions'

export type AnyListener = (payload: never, room: Room | undefined, position: EventPosition | undefined) => void

/**
 * Listeners by event name, for both lifecycle and server events. Like an EventTarget, a listener
 * is registered once however often it is added, and one that throws neither stops the others nor
 * the client: its error is rethrown from a microtask, where it surfaces as an uncaught error.
 */
export class ListenerRegistry {
  private readonly listeners = new Map<string, Set<AnyListener>>()

  add (event: string, listener: AnyListener): void {
    let set = this.listeners.get(event)
    if (set === undefined) this.listeners.set(event, set = new Set())
    set.add(listener)
  }

  remove (event: string, listener: AnyListener): void {
    const set = this.listeners.get(event)
    if (set === undefined) return
    set.delete(listener)
    if (set.size === 0) this.listeners.delete(event)
  }

  emit (event: string, payload: unknown, room?: Room, position?: EventPosition): void {
    const set = this.listeners.get(event)
    if (set === undefined) return
    // A snapshot, so listeners may add or remove listeners while being called.
    for (const listener of [...set]) {
      try {
        (listener as (payload: unknown, room: Room | undefined, position: EventPosition | undefined) => void)(payload, room, position)
      } catch (err) {
        queueMicrotask(() => { throw err })
      }
    }
  }
}
