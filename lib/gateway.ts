import type { FastifyBaseLogger } from 'fastify'
import type { Authenticator } from './auth/authenticate'
import type { ConnectionHooks } from './hub/connection-hooks'
import type { EventHandlers } from './hub/event-handlers'
import type { Hub } from './hub/hub'
import type { RoomAccess } from './hub/room-access'
import type { ResolvedOptions } from './options'
import type { Presence } from './presence/presence'

/** Counters a node keeps about clients it had to cut off. */
interface GatewayStats {
  slowConsumerDisconnects: number
  /** Volatile events dropped for clients that had something waiting to be written. */
  volatileDropped: number
}

/** The parts every transport shares, built once by the plugin entry and handed to each endpoint. */
export interface Gateway {
  readonly hub: Hub
  readonly rooms: RoomAccess
  readonly handlers: EventHandlers
  readonly hooks: ConnectionHooks
  readonly authenticator: Authenticator
  readonly options: ResolvedOptions
  readonly log: FastifyBaseLogger
  readonly stats: GatewayStats
  /** Undefined unless the `presence` option is on. */
  readonly presence: Presence | undefined
}
