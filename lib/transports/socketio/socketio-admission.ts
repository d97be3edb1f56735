import type { Socket } from 'socket.io'
import type { Gateway } from '../../gateway'
import { admit } from '../../hub/admission'
import type { Connection } from '../../hub/connection'
import type { WelcomePayload } from '../../protocol/frames'
import { isJoinableRoom } from '../../protocol/names'
import type { StreamPosition } from '../../recovery/stream-position'
import type { Room } from '../../types'

/** The part of a Socket.IO connection admission acts on. */
interface Admitted extends Connection {
  readonly isOpen: boolean
  join: (room: string) => void
}

/** What a connection with `recovery` adds to its admission (see RecoveringConnection). */
export interface RecoveryWelcome {
  /** The rooms of the session it recovered and where the client's events of each stopped; undefined for a fresh one. */
  readonly resume: ReadonlyMap<Room, StreamPosition> | undefined
  /** At the welcome, before anything reaches the client: the positions its events follow from now on. */
  beginLog: (welcome: WelcomePayload) => void
  /** Right after the welcome went out, before the replay of what the client missed. */
  welcomed: (welcome: WelcomePayload) => void
}

/**
 * Joins the hub (autoJoin, `user:` room, and with `recovery` the rooms of the session the client
 * recovered), then greets the client with `welcome`. True once the client is admitted (its token
 * expiry is then for the connection to arm); false when it closed meanwhile or was refused.
 * `disconnectsSeen` is the hub's disconnect mark when the client's token check began.
 */
export async function admitAndWelcome (connection: Admitted, socket: Socket, gateway: Gateway, disconnectsSeen: number, recovery?: RecoveryWelcome): Promise<boolean> {
  return await admit(connection, gateway, () => connection.isOpen, {
    disconnectsSeen,
    resume: recovery?.resume,
    greet: (welcome) => {
      recovery?.beginLog(welcome)
      // Rooms app code joined through `app.realtime.io` while the client was being admitted.
      for (const room of socket.rooms) if (room !== connection.id && isJoinableRoom(room)) connection.join(room)
      const sent = { ...welcome, rooms: [...connection.rooms] }
      // With `socketio.welcome: false` the client sees what plain Socket.IO sends (and, with
      // recovery, gets its first offset from the first event that reaches it).
      if (gateway.options.socketio !== false && gateway.options.socketio.welcome) socket.emit('welcome', sent)
      recovery?.welcomed(sent)
    }
  })
}
