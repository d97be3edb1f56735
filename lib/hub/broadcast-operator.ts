import type { EmitTarget, Selection } from '../bus/envelope'
import { invalidArgument } from '../errors'
import { isServerEventName, isValidRoomName, SERVER_EVENT_NAME_RULE } from '../protocol/names'
import { userRoom, type Room } from '../types'

export type RoomChange = 'join' | 'leave'

/** What a broadcast operator needs: act on a selection of connections on every node. */
export interface BroadcastSink {
  publish (target: EmitTarget, event: string, data: unknown): Promise<boolean>
  changeRooms (selection: Selection, change: RoomChange, rooms: readonly Room[]): Promise<boolean>
  disconnect (selection: Selection): Promise<boolean>
}

/**
 * An immutable selection of connections on every node, as in Socket.IO: `to()`/`in()` and
 * `except()` return new operators; `emit()`, `join()`, `leave()` and `disconnect()` act. Each
 * resolves true once the bus took it for the other nodes, false when the bus could not (this
 * node's connections have been served either way); none rejects.
 */
export class BroadcastOperator {
  private readonly sink: BroadcastSink
  private readonly target: EmitTarget

  constructor (sink: BroadcastSink, target: EmitTarget = { rooms: [], except: [], direct: false }) {
    this.sink = sink
    this.target = target
  }

  /** Narrows to members of these rooms (a union when called more than once). */
  to (rooms: Room | readonly Room[]): BroadcastOperator {
    return new BroadcastOperator(this.sink, { ...this.target, rooms: [...this.target.rooms, ...roomList('to', rooms)] })
  }

  /** The same as `to()`; reads better before `join`, `leave` and `disconnect`. */
  in (rooms: Room | readonly Room[]): BroadcastOperator {
    return this.to(rooms)
  }

  /** Leaves out members of these rooms. */
  except (rooms: Room | readonly Room[]): BroadcastOperator {
    return new BroadcastOperator(this.sink, { ...this.target, except: [...this.target.except, ...roomList('except', rooms)] })
  }

  emit (event: string, data?: unknown): Promise<boolean> {
    if (!isServerEventName(event)) throw invalidArgument('event', SERVER_EVENT_NAME_RULE)
    return this.sink.publish(this.target, event, data)
  }

  /** Makes every selected connection join these rooms, on the server's authority (no `canJoin`). */
  join (rooms: Room | readonly Room[]): Promise<boolean> {
    return this.sink.changeRooms(this.target, 'join', roomList('join', rooms))
  }

  /** Makes every selected connection leave these rooms. */
  leave (rooms: Room | readonly Room[]): Promise<boolean> {
    return this.sink.changeRooms(this.target, 'leave', roomList('leave', rooms))
  }

  /** Disconnects every selected connection (ws: close 1000). */
  disconnect (): Promise<boolean> {
    return this.sink.disconnect(this.target)
  }
}

function roomList (method: string, rooms: Room | readonly Room[]): readonly Room[] {
  const list = typeof rooms === 'string' ? [rooms] : rooms
  if (!Array.isArray(list) || !list.every(isValidRoomName)) {
    throw invalidArgument(`${method}(rooms)`, 'a room name or an array of room names')
  }
  return list
}

/** The selection `toUser(id)` makes: the user's own room, with frames that name no room. */
export function userTarget (userId: string | number): EmitTarget {
  if ((typeof userId !== 'string' && typeof userId !== 'number') || userId === '') {
    throw invalidArgument('userId', 'a non-empty string or a number')
  }
  return { rooms: [userRoom(String(userId))], except: [], direct: true }
}
