/**
 * Refuses option names the plugin does not know, at register time: a misspelt option
 * (`heartbeatIntervall`) would otherwise be ignored and its default used without a word.
 */
import { unknownOption } from './errors'

/** Throws FST_REALTIME_INVALID_OPTION naming the first key of `given` not in `known`. */
export function refuseUnknownOptions (prefix: string, given: object, known: ReadonlySet<string>): void {
  for (const name of Object.keys(given)) {
    if (known.has(name)) continue
    const suggestion = closestName(name, known)
    throw unknownOption(prefix + name, suggestion === undefined ? undefined : prefix + suggestion, [...known].map((option) => prefix + option))
  }
}

/** The known name a typo most likely meant (at most two edits away, case aside), if any. */
function closestName (name: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}
