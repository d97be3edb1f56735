import { mayReadAs, parametersReadableAs } from './url-parameters'

const REDACTED = '[REDACTED]'

/**
 * The query parameters that are credentials: `token` (a JWT) and `sid` (an engine.io session id,
 * which lets whoever holds it poll, post and upgrade as that session until it ends).
 */
const CREDENTIALS = ['token', 'sid'] as const

/** A value ends at the next `&`, as every query parser reads it, or at white space in a log message. */
const VALUE_END = /[&\s]/g

/**
 * `text` (a URL, or a log message that contains URLs) with the value of every `token` and `sid`
 * parameter replaced by `[REDACTED]`, however the name is written (`%74oken`, `SID`) and wherever
 * some parser could start one (after `?`, `&`, `#` or `;`, see url-parameters).
 */
export function redactCredentials (text: string): string {
  if (!text.includes('=')) return text
  let redacted = ''
  let copiedUpTo = 0
  for (const { valueStart } of parametersReadableAs(text, CREDENTIALS)) {
    if (valueStart === undefined || valueStart < copiedUpTo) continue
    VALUE_END.lastIndex = valueStart
    const valueEnd = VALUE_END.exec(text)?.index ?? text.length
    redacted += text.slice(copiedUpTo, valueStart) + REDACTED
    copiedUpTo = valueEnd
  }
  return copiedUpTo === 0 ? text : redacted + text.slice(copiedUpTo)
}

/** Whether a parsed query's key is a credential (Fastify's parser has decoded it already). */
export function isCredentialKey (key: string): boolean {
  return CREDENTIALS.some((name) => mayReadAs(key, name))
}
