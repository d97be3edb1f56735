import { MALFORMED_TOKEN, type PresentedToken } from './presented-token'
import { parametersReadableAs } from './url-parameters'

/** What a token in a URL may be made of: characters no parser decodes (a JWT is base64url and dots). */
const PLAIN_VALUE = /^[A-Za-z0-9._~-]*$/

/**
 * The `?token=` of a raw request URL (`request.raw.url` on /ws, `socket.handshake.url` on
 * Socket.IO), read once, here, for both transports. It is accepted only where every parser reads
 * the same one value: one parameter named exactly `token`, in the query proper (after the first
 * `?`), in a URL without `#` or `;`, with a value that needs no decoding. Anything else that some
 * parser could take for a token (two of them, `%74oken`, `TOKEN`, `#&token=`, `;token=`, a `%` or
 * `+` in the value) is MALFORMED_TOKEN: refused, never read as no token, which `auth.required:
 * false` would admit as anonymous. An empty value is no token, as every parser agrees.
 */
export function queryToken (url: string): PresentedToken {
  const parameters = parametersReadableAs(url, ['token'])
  if (parameters.length === 0) return undefined
  if (parameters.length > 1 || url.includes('#') || url.includes(';')) return MALFORMED_TOKEN
  const [{ start, rawName, valueStart }] = parameters
  const queryStart = url.indexOf('?')
  const inQuery = queryStart !== -1 && (start === queryStart || (start > queryStart && url[start] === '&'))
  if (!inQuery || rawName !== 'token') return MALFORMED_TOKEN
  if (valueStart === undefined) return undefined
  const valueEnd = url.indexOf('&', valueStart)
  const value = url.slice(valueStart, valueEnd === -1 ? url.length : valueEnd)
  if (!PLAIN_VALUE.test(value)) return MALFORMED_TOKEN
  return value === '' ? undefined : value
}
