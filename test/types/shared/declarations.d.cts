// One app's declarations, as apps write them: the JWT claims for @fastify/jwt (which type
// request.user and the realtime user alike) and the two event maps, in Socket.IO's convention.
export interface AppUser {
  sub: string
  orgId: string
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AppUser
    user: AppUser
  }
}

declare module 'fastify-realtime' {
  interface ServerToClientEvents {
    'order:status_updated': (data: { orderId: string, status: 'paid' | 'shipped' }) => void
    'chat:message': (data: { text: string, from: string | null }) => void
    'presence:ping': () => void
  }
  interface ClientToServerEvents {
    'chat:send': (data: { text: string, room: string }, ack: (res: { id: number }) => void) => void
    typing: (data: { room: string }) => void
  }
}
