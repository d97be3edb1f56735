import type { EmitTarget, Selection } from '../bus/envelope'
import { invalidArgument } from '../errors'
import { isConnectionId, isJoinableRoom, isServerEventName, JOINABLE_ROOM_RULE, SERVER_EVENT_NAME_RULE } from '../protocol/names'
import type { DataArgs, DefaultEventsMap, EventNames, EventsMap } from '../typed-events'
import { USER_ROOM_PREFIX, userRoom, type Room } from '../types'

export type RoomChange = 'join' | 'leave'

/** What a broadcast operator needs: act on a selection of connections on every node. */
export interface BroadcastSink {
  emit (target: EmitTarget, event: string, data: unknown): Promise<boolean>
  changeRooms (selection: Selection, change: RoomChange, rooms: readonly Room[]): Promise<boolean>
  disconnect (selection: Selection): Promise<boolean>
}

/** Checks a selection before an operator acts on it (a client relay's rooms); throws to refuse. */
type SelectionGuard = (selection: Selection) => void

/**
 * An immutable selection of connections on every node, as in Socket.IO: `to()`/`in()` and
 * `except()` return new operators; `emit()`, `join()`, `leave()` and `disconnect()` act. Each
 * resolves true once the bus took it for the other nodes, false when the bus could not (this
 * node's connections have been served either way); none rejects. A connection id (`$c:…`, a
 * client's `id`) selects that one connection, on whichever node it is.
 * `Events` (the app's `ServerToClientEvents`, once declared) types what `emit()` accepts.
 */
export class BroadcastOperator<Events extends EventsMap = DefaultEventsMap> {
  private readonly sink: BroadcastSink
  private readonly target: EmitTarget
  private readonly guard: SelectionGuard | undefined

  constructor (sink: BroadcastSink, target: EmitTarget = { rooms: [], except: [], omitRoom: false }, guard?: SelectionGuard) {
    this.sink = sink
    this.target = target
    this.guard = guard
  }

  /** Narrows to members of these rooms (a union when called more than once). */
  to (rooms: Room | readonly Room[]): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.sink, { ...this.target, rooms: [...this.target.rooms, ...selectionRooms('to', rooms)] }, this.guard)
  }

  /** The same as `to()`; reads better before `join`, `leave` and `disconnect`. */
  in (rooms: Room | readonly Room[]): BroadcastOperator<Events> {
    return this.to(rooms)
  }

  /**
   * The same selection, whose emits are volatile, as in Socket.IO: dropped for a client that has
   * anything waiting to be written to it instead of queued behind it (tickers, cursors), and never
   * kept in a room's history. What is dropped is counted (`stats().volatileDropped`).
   */
  get volatile (): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.sink, { ...this.target, volatile: true }, this.guard)
  }

  /** Leaves out members of these rooms. */
  except (rooms: Room | readonly Room[]): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.sink, { ...this.target, except: [...this.target.except, ...selectionRooms('except', rooms)] }, this.guard)
  }

  emit<E extends EventNames<Events>> (event: E, ...[data]: DataArgs<Events, E>): Promise<boolean> {
    if (!isServerEventName(event)) throw invalidArgument('event', SERVER_EVENT_NAME_RULE)
    this.guard?.(this.target)
    return this.sink.emit(this.target, event, data)
  }

  /**
   * Makes every selected connection join these rooms, on the server's authority (no `canJoin`);
   * never a `user:` room, which only its user's own connections are in.
   */
  join (rooms: Room | readonly Room[]): Promise<boolean> {
    const targetRooms = roomList('join', rooms)
    if (targetRooms.some((room) => room.startsWith(USER_ROOM_PREFIX))) {
      throw invalidArgument('join(rooms)', `rooms other than ${USER_ROOM_PREFIX} rooms (those are joined by their user's own connections only)`)
    }
    this.guard?.(this.target)
    return this.sink.changeRooms(this.target, 'join', targetRooms)
  }

  /** Makes every selected connection leave these rooms. */
  leave (rooms: Room | readonly Room[]): Promise<boolean> {
    const targetRooms = roomList('leave', rooms)
    this.guard?.(this.target)
    return this.sink.changeRooms(this.target, 'leave', targetRooms)
  }

  /** Disconnects every selected connection (ws: close 1000). */
  disconnect (): Promise<boolean> {
    this.guard?.(this.target)
    return this.sink.disconnect(this.target)
  }
}

/**
 * Rooms an operator selects by (`to`, `in`, `except`): room names, or connection ids, each of which
 * selects that one connection on whichever node it is.
 */
function selectionRooms (method: string, rooms: Room | readonly Room[]): readonly Room[] {
  return checkedRooms(method, rooms, (room) => isJoinableRoom(room) || isConnectionId(room), `a room name or a connection id, or an array of them, each ${JOINABLE_ROOM_RULE} or a connection id`)
}

/** Rooms connections are made to join or leave: room names only (a connection id is no room anyone can be in). */
function roomList (method: string, rooms: Room | readonly Room[]): readonly Room[] {
  return checkedRooms(method, rooms, isJoinableRoom, `a room name or an array of room names, each ${JOINABLE_ROOM_RULE}`)
}

function checkedRooms (method: string, rooms: Room | readonly Room[], valid: (room: Room) => boolean, rule: string): readonly Room[] {
  const list = typeof rooms === 'string' ? [rooms] : rooms
  if (!Array.isArray(list) || !list.every(valid)) throw invalidArgument(`${method}(rooms)`, rule)
  return list
}

/** The selection `toUser(id)` makes: the user's own room, with frames that name no room. */
export function userTarget (userId: string | number): EmitTarget {
  if ((typeof userId !== 'string' && typeof userId !== 'number') || userId === '') {
    throw invalidArgument('userId', 'a non-empty string or a number')
  }
  return { rooms: [userRoom(String(userId))], except: [], omitRoom: true }
}
