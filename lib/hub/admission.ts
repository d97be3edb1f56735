import { CLOSE_CODES } from '../errors'
import type { Gateway } from '../gateway'
import type { WelcomePayload } from '../protocol/frames'
import type { StreamPosition } from '../recovery/stream-position'
import { userRoom, type Room } from '../types'
import type { Connection } from './connection'
import { mayJoin, type Hub } from './hub'
import type { PreparedResume } from './resume'

/** What admission uses of the gateway. */
interface AdmissionParts {
  readonly hub: Hub
  readonly log: Gateway['log']
  readonly options: Pick<Gateway['options'], 'autoJoin' | 'canJoin' | 'maxRoomsPerConnection' | 'recovery'>
}

export interface AdmissionRequest {
  /** The hub's disconnect mark when the client's token check began (see RecentSelections). */
  readonly disconnectsSeen: number
  /** With `recovery`: the positions the client comes back from, by room (rooms it is not in yet are joined as a `join` would). */
  readonly resume?: ReadonlyMap<Room, StreamPosition>
  /** Sends the welcome: called in the same turn as the connection joins its rooms, before anything else reaches it. */
  readonly greet: (welcome: WelcomePayload) => void
}

/**
 * Brings a new connection into the hub: its `user:{id}` room, the rooms `autoJoin` names and the
 * rooms it resumes, then registration, all at once after `autoJoin` settles so that nothing reaches
 * the client before its welcome. The bus subscribes to those rooms first (bounded by
 * `clusterRequestTimeout`), so from its welcome on the client receives emits from every node; a
 * resume reads what the client missed meanwhile, and its replay follows the welcome. A disconnect
 * that selected the connection since `disconnectsSeen` (the hub's mark, taken before its token was
 * verified) ends it instead of its welcome. Resolves true once the client is greeted; false when it
 * left or was disconnected during setup, or its token expired meanwhile (closed with 4401). Throws
 * what `autoJoin` and `canJoin` throw.
 */
export async function admit (connection: Connection, gateway: AdmissionParts, isOpen: () => boolean, request: AdmissionRequest): Promise<boolean> {
  const { hub } = gateway
  const rooms = connection.userId === null ? [] : [userRoom(connection.userId)]
  // The user's room first, so that a disconnect of the user from another node reaches this one
  // while `autoJoin` runs.
  const endUserReservation = hub.reserveRooms(rooms)
  try {
    const autoJoin = gateway.options.autoJoin
    const extraRooms: Room[] = autoJoin === undefined ? [] : await autoJoin(connection.user, connection)
    if (!Array.isArray(extraRooms)) throw new TypeError('autoJoin must return an array of room names')
    if (!isOpen()) return false
    const joined = extraRooms.filter((room) => {
      if (mayJoin(connection, room)) return true
      gateway.log.warn({ connectionId: connection.id }, 'fastify-realtime: autoJoin returned a room the connection may not join (an invalid or reserved name, or another user\'s room); skipped')
      return false
    })
    const resume = request.resume ?? new Map<Room, StreamPosition>()
    joined.push(...await resumedRoomsAllowed(connection, gateway, [...rooms, ...joined], resume))
    if (!isOpen()) return false
    rooms.push(...joined)
    const endReservation = hub.reserveRooms(joined)
    try {
      await hub.subscribed(rooms)
      await hub.positioned(rooms)
      const prepared = resume.size === 0 ? undefined : await hub.prepareResume(new Map([...resume].filter(([room]) => rooms.includes(room))))
      if (!isOpen()) return false
      if (!mayBeWelcomed(connection, hub, request.disconnectsSeen, rooms)) return false
      hub.register(connection)
      for (const room of rooms) hub.join(connection, room)
      // Joins and leaves of a selection this connection is in, made while it was being set up.
      hub.recentSelections.replayRoomChanges(request.disconnectsSeen, connection.id, () => [...connection.rooms], (change, changed) => hub.changeRoomsOf(connection, change, changed))
      greet(connection, gateway, request, prepared)
    } finally {
      endReservation()
    }
  } finally {
    endUserReservation()
  }
  return true
}

/**
 * The rooms a resume names that the connection is not in yet, as far as a `join` of each would be
 * allowed (canJoin, the room limit); the others are reported as not resumed in the welcome.
 */
async function resumedRoomsAllowed (connection: Connection, gateway: AdmissionParts, rooms: readonly Room[], resume: ReadonlyMap<Room, StreamPosition>): Promise<Room[]> {
  const candidates = [...resume.keys()].filter((room) => !rooms.includes(room) && mayJoin(connection, room))
  const verdicts = await Promise.all(candidates.map(async (room) => await gateway.options.canJoin(connection.user, room, connection) === true))
  const limit = gateway.options.maxRoomsPerConnection - rooms.length
  return candidates.filter((_, index) => verdicts[index]).slice(0, Math.max(0, limit))
}

/**
 * The last checks before a welcome: a disconnect (a logout, say) that came while the client was
 * authenticated or admitted gets the close instead; so many disconnects came by that one for it
 * may have been missed, a try-again close; a token that ran out during a slow setup, 4401.
 */
function mayBeWelcomed (connection: Connection, hub: Hub, disconnectsSeen: number, rooms: readonly Room[]): boolean {
  const disconnected = hub.recentSelections.selectsSince(disconnectsSeen, connection.id, rooms)
  if (disconnected === true) {
    connection.disconnect()
    return false
  }
  if (disconnected === 'unknown') {
    connection.close(CLOSE_CODES.TRY_AGAIN_LATER, 'too many disconnects during setup')
    return false
  }
  if (connection.tokenExpired()) {
    connection.close(CLOSE_CODES.UNAUTHORIZED, 'token expired')
    return false
  }
  return true
}

/** The welcome, with positions and resume outcomes under `recovery`, then what the client missed. */
function greet (connection: Connection, gateway: AdmissionParts, request: AdmissionRequest, prepared: PreparedResume | undefined): void {
  const welcome: WelcomePayload = { connectionId: connection.id, user: connection.user, rooms: [...connection.rooms] }
  if (gateway.options.recovery === false) {
    request.greet(welcome)
    return
  }
  const positions = gateway.hub.positionsOf(connection.rooms)
  const resume = prepared?.complete(connection)
  if (request.resume !== undefined && request.resume.size > 0) {
    const resumed: Record<Room, boolean> = {}
    for (const room of request.resume.keys()) {
      const outcome = resume?.rooms.get(room)
      resumed[room] = outcome?.recovered === true
      if (outcome !== undefined) positions[room] = outcome.position
    }
    welcome.resumed = resumed
  }
  welcome.positions = positions
  request.greet(welcome)
  resume?.replay()
}
