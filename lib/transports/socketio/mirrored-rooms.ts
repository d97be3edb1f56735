import type { Socket } from 'socket.io'
import type { Room } from '../../types'

/**
 * The room set of a Socket.IO connection, which only the hub writes. Every change is mirrored into
 * Socket.IO (`socket.join` / `socket.leave`), so `socket.rooms` and the adapter's rooms agree with
 * the hub. The adapter passes joins and leaves back to the hub, which finds them already done.
 */
export class MirroredRooms extends Set<Room> {
  private readonly socket: Socket

  constructor (socket: Socket) {
    super()
    this.socket = socket
  }

  override add (room: Room): this {
    if (this.has(room)) return this
    super.add(room)
    void this.socket.join(room)
    return this
  }

  override delete (room: Room): boolean {
    if (!super.delete(room)) return false
    void this.socket.leave(room)
    return true
  }
}
