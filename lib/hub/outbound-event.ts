import type { StreamStamp } from '../recovery/stream-position'
import type { Room } from '../types'

/**
 * One server event on its way to many connections. Its data is serialised once when it is made;
 * each transport encodes (and frames) it at most once, through `encodeOnce`, however many of its
 * connections receive it.
 */
export class OutboundEvent {
  readonly event: string
  readonly dataJson: string
  /** The room named in the frame: set when the emit targeted exactly one room. */
  readonly room: Room | undefined
  /** Its place in a room's history, for an emit to a room that keeps one (the `recovery` option). */
  readonly position: StreamStamp | undefined
  /** Dropped for a connection that has anything waiting to be written (a `volatile` emit) instead of queued. */
  readonly volatile: boolean
  private encodings: Map<object, unknown> | undefined

  constructor (event: string, dataJson: string, room: Room | undefined, position?: StreamStamp, volatile = false) {
    this.event = event
    this.dataJson = dataJson
    this.room = room
    this.position = position
    this.volatile = volatile
  }

  /** Runs `encoder` the first time a transport asks, then returns the cached result. */
  encodeOnce<T> (encoder: (message: OutboundEvent) => T): T {
    this.encodings ??= new Map()
    if (this.encodings.has(encoder)) return this.encodings.get(encoder) as T
    const encoded = encoder(this)
    this.encodings.set(encoder, encoded)
    return encoded
  }
}
