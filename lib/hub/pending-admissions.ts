import type { Selection } from '../bus/envelope'
import type { Room } from '../types'
import type { Connection } from './connection'

/** A connection on its way into the hub, with the rooms it is about to be in. */
export interface PendingAdmission {
  readonly connection: Connection
  rooms: readonly Room[]
  /** A disconnect selected it before it was registered. */
  disconnected: boolean
}

/**
 * Connections between authentication and registration (admission waits for `autoJoin` and the
 * bus). A disconnect that selects one meanwhile — `disconnectUser` at logout, on any node — is
 * recorded here and applied once admission ends, instead of missing it.
 */
export class PendingAdmissions {
  private readonly pending = new Set<PendingAdmission>()

  begin (connection: Connection, rooms: readonly Room[]): PendingAdmission {
    const admission: PendingAdmission = { connection, rooms, disconnected: false }
    this.pending.add(admission)
    return admission
  }

  end (admission: PendingAdmission): void {
    this.pending.delete(admission)
  }

  /** Marks the pending admissions `selection` picks, by the rooms each is about to be in. */
  disconnect (selection: Selection): void {
    for (const admission of this.pending) {
      if (selects(selection, admission)) admission.disconnected = true
    }
  }
}

function selects (selection: Selection, { connection, rooms }: PendingAdmission): boolean {
  if (connection.id === selection.exceptConnectionId || selection.except.some((room) => rooms.includes(room))) return false
  return selection.rooms.length === 0 || selection.rooms.some((room) => rooms.includes(room))
}
