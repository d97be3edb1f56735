/**
 * The first step of the server's decoders (client frames, bus envelopes): JSON text to a plain
 * object. The client package keeps its own, so that it loads nothing of the server. JSON.parse
 * never assigns through prototypes ("__proto__" becomes an own property), and decoders read the
 * fields one by one into fresh objects, so no input can pollute a prototype.
 */
type ParsedObject =
  | { ok: true, fields: Record<string, unknown> }
  | { ok: false, problem: 'not JSON' | 'not an object' }

export function parseJsonObject (text: string): ParsedObject {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, problem: 'not JSON' }
  }
  return isRecord(value) ? { ok: true, fields: value } : { ok: false, problem: 'not an object' }
}

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isStringArray (value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}
