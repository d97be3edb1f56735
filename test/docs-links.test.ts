import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'

// Every relative link and every anchor in README.md and docs/*.md must lead somewhere: a file that
// exists, and a heading (by its GitHub slug) that exists in the page the link points to.
const ROOT = join(__dirname, '..')
const DOCS = join(ROOT, 'docs')
const PAGES = [join(ROOT, 'README.md'), ...readdirSync(DOCS).filter((name) => name.endsWith('.md')).sort().map((name) => join(DOCS, name))]

/** Markdown outside fenced code blocks: a link or a heading inside a code sample is not one. */
function prose (markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '')
}

/**
 * GitHub's heading ids (github-slugger): the heading's text without its markdown (code spans, links,
 * emphasis), lowercased, every character that is not a letter, a digit, `_`, `-` or a space dropped,
 * spaces turned into `-`; a repeated slug gets `-1`, `-2`… in order of appearance.
 */
function slug (heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

function anchorsOf (markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const [, text] of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(text)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  for (const [, id] of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(id)
  return anchors
}

/** Inline links and images, `[text](target)` and `[text](target "title")`, outside code. */
function linksOf (markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '')
  return [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(([, target]) => target)
}

const anchorCache = new Map<string, Set<string>>()
function anchorsOfFile (file: string): Set<string> {
  let anchors = anchorCache.get(file)
  if (anchors === undefined) {
    anchors = anchorsOf(readFileSync(file, 'utf8'))
    anchorCache.set(file, anchors)
  }
  return anchors
}

function brokenLinks (page: string): string[] {
  const broken: string[] = []
  for (const target of linksOf(readFileSync(page, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:…
    const hash = target.indexOf('#')
    const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash))
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1))
    const file = path === '' ? page : resolve(dirname(page), path)
    if (!existsSync(file)) {
      broken.push(`${target}: no file ${relative(ROOT, file)}`)
      continue
    }
    if (anchor === undefined) continue
    if (statSync(file).isDirectory() || !file.endsWith('.md')) {
      broken.push(`${target}: an anchor into ${relative(ROOT, file)}, which is not a markdown page`)
    } else if (!anchorsOfFile(file).has(anchor)) {
      broken.push(`${target}: no heading #${anchor} in ${relative(ROOT, file)}`)
    }
  }
  return broken
}

t.test('heading slugs are GitHub\'s, as the links in these pages write them', async (t) => {
  t.equal(slug('The client: `fastify-realtime/client`'), 'the-client-fastify-realtimeclient')
  t.equal(slug('`app.realtime.io`'), 'apprealtimeio')
  t.equal(slug('Scaling out: Redis, several nodes, workers'), 'scaling-out-redis-several-nodes-workers')
  t.equal(slug('The JSON protocol (v1)'), 'the-json-protocol-v1')
  t.equal(slug('The model in Socket.IO\'s idiom'), 'the-model-in-socketios-idiom')
  t.equal(slug('`createClient(options)`'), 'createclientoptions')
  t.equal(slug('Targets (issue 5)'), 'targets-issue-5')
  t.same([...anchorsOf('# Options\n\n```md\n# Not a heading\n```\n\n## Socket.IO\n\n### Options\n')], ['options', 'socketio', 'options-1'])
})

t.test('the link checker finds what is broken', async (t) => {
  t.same(linksOf('[a](b.md#c) `[x](y.md)` ![img](pic.png "title")\n```\n[z](z.md)\n```\n'), ['b.md#c', 'pic.png'])
})

for (const page of PAGES) {
  t.test(`${relative(ROOT, page)}: every relative link and anchor resolves`, async (t) => {
    t.same(brokenLinks(page), [])
  })
}

t.test('every docs page is linked from README.md, directly or through another docs page', async (t) => {
  const reached = new Set<string>([join(ROOT, 'README.md')])
  const queue = [join(ROOT, 'README.md')]
  for (let page = queue.shift(); page !== undefined; page = queue.shift()) {
    for (const target of linksOf(readFileSync(page, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue
      const file = resolve(dirname(page), decodeURIComponent(target.split('#')[0]))
      if (PAGES.includes(file) && !reached.has(file)) {
        reached.add(file)
        queue.push(file)
      }
    }
  }
  t.same(PAGES.filter((page) => !reached.has(page)).map((page) => relative(ROOT, page)), [])
})

t.test('README.md fits on a few screens', async (t) => {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length - 1
  t.ok(lines <= 300, `README.md has ${lines} lines (at most 300: the rest belongs in docs/)`)
})
