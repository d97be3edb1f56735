// The event names and payloads of this app, shared by the server (server.js, checked with
// `// @ts-check`) and by TypeScript clients: `createClient<ServerEvents, ClientEvents>(…)`.

export type OrgId = string
export type ProjectId = string

/** Events the server sends. */
export interface ServerEvents {
  'project:updated': (data: { orgId: OrgId, projectId: ProjectId, name: string, by: string }) => void
  'org:announcement': (data: { orgId: OrgId, text: string }) => void
}

/** Events clients send; the return type is the ack. */
export interface ClientEvents {
  'project:rename': (data: { projectId: ProjectId, name: string }) => { ok: true } | { ok: false, error: string }
}

/** The token claims this app relies on. */
export interface TenantClaims {
  sub: string
  org: OrgId
}
