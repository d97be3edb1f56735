import { encodeEnvelope } from './envelope-codec'
import type { BusMessage, RoutedEnvelope } from './envelope'
import type { RedisChannels } from './redis-channels'
import { isCluster, type RedisClient } from './redis-connections'

/**
 * Publishes envelopes on a command connection, for the bus and for the emitter alike: PUBLISH, or
 * SPUBLISH on a Cluster (sharded pub/sub, so a room's traffic stays on the shard that owns its
 * channel). Never queues while Redis is unreachable: what cannot be sent now is reported as not
 * sent, since Redis pub/sub would not keep it for anyone anyway.
 */
export class RedisPublisher {
  readonly client: RedisClient
  readonly channels: RedisChannels
  private readonly sharded: boolean

  constructor (client: RedisClient, channels: RedisChannels) {
    this.client = client
    this.channels = channels
    this.sharded = isCluster(client)
  }

  /** Publishes to the channel the envelope's selection names. Resolves true once Redis took it. */
  async publish (envelope: RoutedEnvelope): Promise<boolean> {
    return await this.send(this.channels.of(envelope), envelope) !== undefined
  }

  /** Resolves with how many subscribers received it, or undefined when it did not reach Redis. Never rejects. */
  async send (channel: string, envelope: BusMessage): Promise<number | undefined> {
    if (this.client.status !== 'ready') return undefined
    const message = encodeEnvelope(envelope)
    try {
      return Number(await (this.sharded ? this.client.spublish(channel, message) : this.client.publish(channel, message)))
    } catch {
      return undefined
    }
  }
}
