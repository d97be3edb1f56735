import type { ServerFrame } from '../../lib/index'
import type { PresenceJoinData, PresenceLeaveData } from '../../lib/protocol/presence'
import type { TestServer } from './app'
import type { IoTestClient } from './socketio-client'
import { connect, type TestClient } from './ws-client'

export type PresenceEventName = 'presence:join' | 'presence:leave'
type EventFrame = Extract<ServerFrame, { type: 'event' }>

function isPresenceFrame (frame: ServerFrame, event?: PresenceEventName, userId?: string | null): frame is EventFrame {
  if (frame.type !== 'event' || (frame.event !== 'presence:join' && frame.event !== 'presence:leave')) return false
  if (event !== undefined && frame.event !== event) return false
  return userId === undefined || (frame.data as PresenceLeaveData).userId === userId
}

/** Resolves with (and takes) the next presence event a ws client receives, of that name and user if given. */
export async function nextPresence (client: TestClient, event?: PresenceEventName, userId?: string | null, timeoutMs = 5_000): Promise<EventFrame> {
  return await client.nextWhere((frame) => isPresenceFrame(frame, event, userId), timeoutMs) as EventFrame
}

/** The presence events a ws client has received and not taken, as `event userId` strings, in order. */
export function pendingPresence (client: TestClient): string[] {
  return client.pending().filter((frame) => isPresenceFrame(frame)).map((frame) => `${(frame as EventFrame).event} ${String(((frame as EventFrame).data as PresenceLeaveData).userId)}`)
}

/** The same for a Socket.IO client. */
export function pendingIoPresence (client: IoTestClient): string[] {
  return client.pending()
    .filter(({ event }) => event === 'presence:join' || event === 'presence:leave')
    .map(({ event, args }) => `${event} ${String((args[0] as PresenceJoinData).userId)}`)
}

let barriers = 0

/**
 * Proves every presence event caused so far on `node` has reached `observer`: once the node's own
 * changes to the room are in the store (presenceStats waits for them), a fresh user joins there,
 * and its join, which every node gets after anything published before it, reaches the observer.
 * Returns (and takes) the presence events the observer had not taken yet, as pendingPresence does,
 * other barriers' aside; the fresh user leaves again, and its leave is taken too.
 */
export async function presenceBarrier (observer: TestClient, node: TestServer, room: string): Promise<string[]> {
  await node.app.realtime.presenceStats(room)
  const user = `barrier-${++barriers}`
  const { client } = await connect(node.wsUrl, { token: node.token(user) })
  await client.request({ type: 'join', room })
  await nextPresence(observer, 'presence:join', user)
  const pending = pendingPresence(observer)
  for (let i = 0; i < pending.length; i++) await nextPresence(observer)
  const before = pending.filter((event) => !event.includes(' barrier-'))
  client.close()
  await nextPresence(observer, 'presence:leave', user)
  return before
}
