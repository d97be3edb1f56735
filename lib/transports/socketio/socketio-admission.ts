import type { Socket } from 'socket.io'
import type { Gateway } from '../../gateway'
import { admit } from '../../hub/admission'
import type { Connection } from '../../hub/connection'
import { isJoinableRoom } from '../../protocol/names'

/** The part of a Socket.IO connection admission acts on. */
interface Admitted extends Connection {
  readonly isOpen: boolean
  join: (room: string) => void
}

/**
 * Joins the hub (autoJoin, `user:` room), then greets the client with `welcome`. True once the
 * client is admitted (its token expiry is then for the connection to arm); false when it closed meanwhile or was refused. `disconnectsSeen` is the hub's
 * disconnect mark when the client's token check began.
 */
export async function admitAndWelcome (connection: Admitted, socket: Socket, gateway: Gateway, disconnectsSeen: number): Promise<boolean> {
  return await admit(connection, gateway, () => connection.isOpen, {
    disconnectsSeen,
    greet: (welcome) => {
      // Rooms app code joined through `app.realtime.io` while the client was being admitted.
      for (const room of socket.rooms) if (room !== connection.id && isJoinableRoom(room)) connection.join(room)
      socket.emit('welcome', { ...welcome, rooms: [...connection.rooms] })
    }
  })
}
