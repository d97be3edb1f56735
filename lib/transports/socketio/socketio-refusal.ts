import type { Socket } from 'socket.io'
import type { RealtimeError } from '../../errors'

/** The callback socket.io-client passes as an event's last argument when it asks for an ack. */
export type Ack = (...args: unknown[]) => void

/** What a refused request answers with, in the ack or as an `error` event when there is no ack. */
interface Refusal {
  ok: false
  error: { code: RealtimeError['code'], message: string }
}

/** Answers a refused request: through its ack, or with an `error` event when it asked for none. */
export function answerRefusal (socket: Socket, ack: Ack | undefined, error: RealtimeError): void {
  const refusal: Refusal = { ok: false, error: { code: error.code, message: error.message } }
  if (ack === undefined) socket.emit('error', refusal.error)
  else ack(refusal)
}
