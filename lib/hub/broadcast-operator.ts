import type { EmitTarget } from '../bus/envelope'
import { invalidArgument } from '../errors'
import { isValidEventName, isValidRoomName } from '../protocol/names'
import type { Room } from '../types'

/** What a broadcast operator needs from the hub: send one event to a target on every node. */
export interface EmitSink {
  publish (target: EmitTarget, event: string, data: unknown): Promise<boolean>
}

/**
 * An immutable selection of recipients, as in Socket.IO: `to()` and `except()` return new operators
 * and `emit()` sends. `emit` resolves true once every node's bus took the event, false when the bus
 * could not (local members have been served either way); it never rejects.
 */
export class BroadcastOperator {
  private readonly sink: EmitSink
  private readonly target: EmitTarget

  constructor (sink: EmitSink, target: EmitTarget = { rooms: [], except: [], direct: false }) {
    this.sink = sink
    this.target = target
  }

  /** Narrows to members of these rooms (a union when called more than once). */
  to (rooms: Room | readonly Room[]): BroadcastOperator {
    return new BroadcastOperator(this.sink, { ...this.target, rooms: [...this.target.rooms, ...roomList('to', rooms)] })
  }

  /** Leaves out members of these rooms. */
  except (rooms: Room | readonly Room[]): BroadcastOperator {
    return new BroadcastOperator(this.sink, { ...this.target, except: [...this.target.except, ...roomList('except', rooms)] })
  }

  emit (event: string, data?: unknown): Promise<boolean> {
    if (!isValidEventName(event)) throw invalidArgument('event', 'a non-empty string of at most 100 characters without control characters')
    return this.sink.publish(this.target, event, data)
  }
}

function roomList (method: string, rooms: Room | readonly Room[]): readonly Room[] {
  const list = typeof rooms === 'string' ? [rooms] : rooms
  if (!Array.isArray(list) || !list.every(isValidRoomName)) {
    throw invalidArgument(`${method}(rooms)`, 'a room name or an array of room names')
  }
  return list
}
