/** Raw engine.io long-polling requests, for what socket.io-client will not do (old protocols, huge bodies, bad origins). */

export const ENGINE_PATH = '/socket.io/'

export interface EngineHandshake {
  sid: string
  pingInterval: number
  pingTimeout: number
  maxPayload: number
}

export function engineUrl (baseUrl: string, query: Record<string, string>): string {
  return `${baseUrl}${ENGINE_PATH}?${new URLSearchParams({ EIO: '4', transport: 'polling', ...query }).toString()}`
}

/** Opens a polling session; throws unless the server answered with an engine.io `open` packet. */
export async function openSession (baseUrl: string, headers: Record<string, string> = {}): Promise<EngineHandshake> {
  const response = await fetch(engineUrl(baseUrl, {}), { headers })
  const body = await response.text()
  if (response.status !== 200 || !body.startsWith('0')) throw new Error(`handshake refused: ${response.status} ${body}`)
  return JSON.parse(body.slice(1)) as EngineHandshake
}

/** One long poll of a session: resolves with the status and the raw payload. */
export async function poll (baseUrl: string, sid: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  const response = await fetch(engineUrl(baseUrl, { sid }), { headers })
  return { status: response.status, body: await response.text() }
}

/** Sends a payload (engine.io packets, `\x1e`-separated) on a session. */
export async function post (baseUrl: string, sid: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  const response = await fetch(engineUrl(baseUrl, { sid }), { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers } })
  return { status: response.status, body: await response.text() }
}
