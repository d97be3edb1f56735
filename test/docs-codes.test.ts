import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { CLOSE_CODE_TABLE, WIRE_ERRORS, type ReconnectRule } from '../lib/protocol/codes'

/*
 * The code tables of the docs come from lib/protocol/codes.ts: this fails when a page and the
 * table disagree on a status, a close code or whether a client reconnects.
 */

const DOCS = join(__dirname, '..', 'docs')

/** The rows of the markdown table whose header row starts with `headers`, as cells. */
function tableRows (page: string, headers: string): string[][] {
  const lines = readFileSync(join(DOCS, page), 'utf8').split('\n')
  const start = lines.findIndex((line) => line.startsWith(`| ${headers} |`))
  if (start === -1) throw new Error(`${page} has no table starting with "${headers}"`)
  const rows: string[][] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    rows.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()))
  }
  return rows
}

/** How the docs' words for reconnecting read as a rule. */
function ruleOf (words: string): ReconnectRule {
  if (/^(no|stops)\b/.test(words)) return 'no'
  if (/new token|only if/.test(words)) return 'with-new-token'
  if (/^(yes|reconnects)\b/.test(words)) return 'yes'
  throw new Error(`cannot read "${words}" as a reconnect rule`)
}

t.test('docs/errors.md lists every wire code with its HTTP status and close code', async (t) => {
  const rows = tableRows('errors.md', 'code | HTTP')
  t.same(rows.map(([code]) => code.replaceAll('`', '')), Object.keys(WIRE_ERRORS), 'the same codes, in the same order')
  for (const [code, status, close] of rows) {
    const entry = WIRE_ERRORS[code.replaceAll('`', '') as keyof typeof WIRE_ERRORS]
    t.equal(Number(status), entry.status, `${code}: HTTP status`)
    t.equal(close === '—' ? null : Number(close), entry.closeCode, `${code}: close code`)
  }
})

for (const [page, header, column] of [['errors.md', 'close | meaning', 2], ['client.md', 'code | meaning | client', 2]] as const) {
  t.test(`docs/${page} says for every close code what the table says about reconnecting`, async (t) => {
    const rows = tableRows(page, header).filter(([code]) => code !== 'other')
    t.same(rows.map(([code]) => Number(code)), CLOSE_CODE_TABLE.map(({ code }) => code), 'the same close codes, in the same order')
    for (const row of rows) {
      const entry = CLOSE_CODE_TABLE.find(({ code }) => code === Number(row[0]))
      t.equal(ruleOf(row[column]), entry?.reconnect, `${row[0]}: ${row[column]}`)
    }
  })
}
