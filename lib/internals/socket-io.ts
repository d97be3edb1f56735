import type { Namespace, Socket } from 'socket.io'

/*
 * Every touch of Socket.IO's private state, in one place. Checked against socket.io 4.8.4
 * (package.json pins 4.8); test/internals.test.ts fails when an upgrade removes one of these or
 * changes its shape.
 */

type Middleware = Parameters<Namespace['use']>[0]

interface NamespaceInternals {
  /** Sockets past `_createSocket` that are still in the middlewares, by id. */
  _preConnectSockets?: Map<string, Socket>
  /** Makes (or, with connection state recovery, restores) a socket before it is filed under its id. */
  _createSocket?: (client: unknown, auth: unknown) => Promise<Socket>
  /** The namespace's middlewares, in the order they run. */
  _fns?: Middleware[]
}

function internalsOf (namespace: Namespace): NamespaceInternals {
  return namespace as unknown as NamespaceInternals
}

/** The sockets of `namespace` still in its middlewares; undefined should Socket.IO no longer keep them. */
export function preConnectSockets (namespace: Namespace): ReadonlyMap<string, Socket> | undefined {
  return internalsOf(namespace)._preConnectSockets
}

/**
 * Runs `adjust` on every socket `namespace` makes, before Socket.IO files it anywhere (its id is
 * first read after `_createSocket` resolves). Throws when Socket.IO no longer has the method: failing
 * at register time beats sockets that missed the adjustment.
 */
export function adjustCreatedSockets (namespace: Namespace, adjust: (socket: Socket) => void): void {
  const internals = internalsOf(namespace)
  const createSocket = internals._createSocket
  if (typeof createSocket !== 'function') {
    throw new Error('fastify-realtime: this Socket.IO version has no Namespace#_createSocket; socket ids cannot be made connection ids')
  }
  internals._createSocket = async function createAdjustedSocket (this: Namespace, client: unknown, auth: unknown): Promise<Socket> {
    const socket = await createSocket.call(this, client, auth)
    adjust(socket)
    return socket
  }
}

/** Gives a socket another id; `id` is a plain field Socket.IO assigns in the constructor, readonly in its types. */
export function setSocketId (socket: Socket, id: string): void {
  (socket as { id: string }).id = id
}

/**
 * Makes `middleware` the first of `namespace`'s middlewares, ahead of any it already has (a child of
 * a dynamic namespace is announced with its parent's). Falls back to `use` (last) should Socket.IO no
 * longer keep the list where it did.
 */
export function useFirst (namespace: Namespace, middleware: Middleware): void {
  const fns = internalsOf(namespace)._fns
  if (Array.isArray(fns)) fns.unshift(middleware)
  else namespace.use(middleware)
}

interface SocketInternals {
  /** The private session id of connection state recovery, sent in the CONNECT reply (`{ sid, pid }`). */
  pid?: string
  /** Public, but readonly in the types: Socket.IO sets it for a socket it restored itself. */
  recovered: boolean
}

/** A socket's private session id (connection state recovery); undefined without it. */
export function socketPid (socket: Socket): string | undefined {
  const pid = (socket as unknown as SocketInternals).pid
  return typeof pid === 'string' ? pid : undefined
}

/**
 * Makes a socket still in the middlewares the one a client comes back to: its old id (re-filed under
 * it among the namespace's pending sockets, where Socket.IO looks it up once the middlewares are
 * done), its old `pid` (which the CONNECT reply carries, so socket.io-client reports
 * `socket.recovered`), and `socket.recovered`, as Socket.IO's own restore in `_createSocket` would
 * set them. Only for a socket that has not connected yet.
 */
export function restoreSocket (namespace: Namespace, socket: Socket, id: string, pid: string): void {
  const pending = internalsOf(namespace)._preConnectSockets
  if (pending?.get(socket.id) === socket) pending.delete(socket.id)
  setSocketId(socket, id)
  pending?.set(id, socket)
  const internals = socket as unknown as SocketInternals
  internals.pid = pid
  internals.recovered = true
}
