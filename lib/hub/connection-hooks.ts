import type { FastifyBaseLogger } from 'fastify'
import { CLOSE_CODES, isRealtimeError, WIRE_ERRORS } from '../errors'
import type { DefaultEventsMap, EventsMap } from '../typed-events'
import type { Connection } from './connection'
import type { RealtimeClient } from './realtime-client'

/** Why a client went away, whichever transport it used. */
export interface DisconnectInfo {
  /**
   * Socket.IO's reason on Socket.IO (`transport close`, `ping timeout`, `client namespace disconnect`,
   * `server namespace disconnect`, …); on the raw endpoint `client close`, `server close` or
   * `ping timeout`.
   */
  readonly reason: string
  /** The WebSocket close code on the raw endpoint (1000, 1001, 4401, …); undefined on Socket.IO. */
  readonly code: number | undefined
}

export type ConnectionHook<ServerEvents extends EventsMap = DefaultEventsMap> = (client: RealtimeClient<ServerEvents>) => void | Promise<void>
export type DisconnectHook<ServerEvents extends EventsMap = DefaultEventsMap> = (client: RealtimeClient<ServerEvents>, info: DisconnectInfo) => void | Promise<void>

/**
 * App code run when a client connects and when it disconnects, on either transport. A connection
 * hook runs once the client is admitted and greeted (in its rooms, with its user): it may join it
 * to rooms, emit to it, or refuse it by throwing; the client's own requests wait until every hook
 * is done. A disconnect hook runs once for every client a connection hook ran for.
 */
export class ConnectionHooks {
  private readonly connected: ConnectionHook[] = []
  private readonly disconnected: DisconnectHook[] = []
  private readonly greeted = new WeakSet<Connection>()
  private readonly log: FastifyBaseLogger

  constructor (log: FastifyBaseLogger) {
    this.log = log
  }

  onConnection (hook: ConnectionHook): void {
    this.connected.push(hook)
  }

  onDisconnect (hook: DisconnectHook): void {
    this.disconnected.push(hook)
  }

  /**
   * Runs the connection hooks in order. A hook that throws refuses the client: a RealtimeError
   * closes it with its code's close code (FORBIDDEN: 4403), anything else with 1011 and a log line.
   * Resolves false when the client was refused or left meanwhile.
   */
  async connect (connection: Connection, isOpen: () => boolean): Promise<boolean> {
    this.greeted.add(connection)
    for (const hook of this.connected) {
      try {
        await hook(connection)
      } catch (err) {
        if (isRealtimeError(err)) {
          connection.close(WIRE_ERRORS[err.code].closeCode ?? CLOSE_CODES.INTERNAL, err.message)
        } else {
          this.log.error({ err, connectionId: connection.id }, 'fastify-realtime: an onConnection hook failed')
          connection.close(CLOSE_CODES.INTERNAL, 'connection hook failed')
        }
        return false
      }
      if (!isOpen()) return false
    }
    return true
  }

  /** Runs the disconnect hooks of a client the connection hooks ran for; a hook's failure is logged. */
  disconnect (connection: Connection, info: DisconnectInfo): void {
    if (!this.greeted.delete(connection)) return
    for (const hook of this.disconnected) {
      Promise.resolve().then(async () => await hook(connection, info)).catch((err: unknown) => {
        this.log.error({ err, connectionId: connection.id }, 'fastify-realtime: an onDisconnect hook failed')
      })
    }
  }
}
