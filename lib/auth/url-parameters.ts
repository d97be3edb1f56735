/**
 * Query parameters as the most lenient reader could see them. Parsers disagree on URLs: Fastify's
 * router starts the query at the first `?` or `#` (or `;` with `useSemicolonDelimiter`) and its
 * parser reads past a `#`; engine.io and browsers (WHATWG URL) drop everything from `#`; some
 * parsers split on `;`, compare names case-insensitively (ASP.NET) or stop at a NUL. Every one of
 * them decodes names (`%74oken` is `token`). A parameter any of them could read counts here.
 */

/** A parameter starts after any character some parser takes for a separator. */
const PARAMETER = /[?&#;]([^?&#;=]*)(=?)/g

interface UrlParameter {
  /** Index of the separator before the name. */
  readonly start: number
  /** The name as written in the URL. */
  readonly rawName: string
  /** Index of the value (just past the `=`), or undefined when the name has no `=`. */
  readonly valueStart: number | undefined
}

/** Every parameter of `url`, in order, that some parser could read as one of `names` (lower case). */
export function parametersReadableAs (url: string, names: readonly string[]): UrlParameter[] {
  const found: UrlParameter[] = []
  for (const match of url.matchAll(PARAMETER)) {
    if (!names.some((name) => mayReadAs(match[1], name))) continue
    const start = match.index ?? 0
    found.push({ start, rawName: match[1], valueStart: match[2] === '' ? undefined : start + match[0].length })
  }
  return found
}

// Spaces, C0 controls (NUL among them) and DEL: readers that trim or truncate would drop them.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const IGNORABLE = /[\s\u0000-\u001f\u007f]/g

/** Whether some parser could read the parameter name `rawName` (as written in a URL) as `name`. */
export function mayReadAs (rawName: string, name: string): boolean {
  let decoded: string
  try {
    decoded = decodeURIComponent(rawName.replaceAll('+', ' '))
  } catch {
    // Not decodable: a parser may still make something of it, so err on the side of counting it.
    return rawName.toLowerCase().includes(name)
  }
  return decoded.replace(IGNORABLE, '').toLowerCase() === name
}
