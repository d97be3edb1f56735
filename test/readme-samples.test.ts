import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSigner } from 'fast-jwt'
import t from 'tap'
import WebSocket from 'ws'
import { packPackage, ROOT, typeCheck, type PackedPackage } from './helpers/packed-package'

// The TypeScript samples of README.md and docs/*.md, type-checked under `strict` against the
// packed package exactly as printed, and the README's quick start run.
let packed: PackedPackage

/** The ```ts blocks of a markdown file, in order. */
function typeScriptBlocks (file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1])
}

const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)]
const [quickStart, ...otherReadmeBlocks] = typeScriptBlocks('README.md')
const DECLARES = /^declare module '(fastify-realtime|@fastify\/jwt)'/m
const declaringProjects: string[] = []

t.before(async () => {
  packed = await packPackage()
  writeFileSync(join(packed.dir, 'types', 'readme', 'quick-start.mts'), quickStart)
  // The quick start declares its own event maps: the other samples are checked apart from it, each a module of its own.
  const samples = [...otherReadmeBlocks.map((block, index) => ({ name: `README-${index + 2}`, block })),
    ...docs.filter((doc) => doc !== 'README.md').flatMap((doc) => typeScriptBlocks(doc).map((block, index) => ({ name: `${doc.replace(/\W/g, '-')}-${index + 1}`, block })))]
  for (const { name, block } of samples) {
    // A sample that declares event maps or JWT claims would type every other sample with them: it gets a project of its own.
    const project = DECLARES.test(block) ? `samples-${name}` : 'samples'
    if (project !== 'samples') {
      cpSync(join(packed.dir, 'types', 'samples'), join(packed.dir, 'types', project), { recursive: true, filter: (source) => !source.endsWith('.mts') })
      declaringProjects.push(project)
    }
    writeFileSync(join(packed.dir, 'types', project, `${name}.mts`), `${block}\nexport {}\n`)
  }
})
t.teardown(() => packed?.remove())

t.test('the README\'s quick start type-checks under strict', async (t) => {
  const { ok, output } = await typeCheck(packed, 'readme')
  t.ok(ok, output)
})

t.test('every other TypeScript sample of the README and docs/ type-checks under strict', async (t) => {
  t.ok(declaringProjects.length > 0, 'some samples declare event maps')
  for (const project of ['samples', ...declaringProjects]) {
    const { ok, output } = await typeCheck(packed, project, ['--noEmit'])
    t.ok(ok, `${project}: ${output}`)
  }
})

t.test('the README\'s quick start runs: its route answers, its clients receive the events', async (t) => {
  const secret = 'quick-start-secret'
  const child = spawn(process.execPath, [join(packed.dir, 'types', 'readme', 'out', 'quick-start.mjs')], {
    cwd: packed.dir,
    env: { ...process.env, JWT_SECRET: secret, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { child.kill() })
  const url = await listeningUrl(child)
  const token = createSigner({ key: secret, expiresIn: 60_000 })({ sub: 'ada', orgId: '7' })

  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, ['realtime.v1', `bearer.${token}`])
  t.teardown(() => { socket.close() })
  const frames: Array<{ type: string, event?: string, data?: unknown, room?: string, rooms?: string[] }> = []
  socket.on('message', (data) => { frames.push(JSON.parse(String(data))) })
  await until(() => frames.some((frame) => frame.type === 'welcome'))
  t.match(frames[0], { type: 'welcome', rooms: ['user:ada', 'org:7'] }, 'auto-joined its org room')

  t.equal((await fetch(`${url}/orders/1/ship`, { method: 'POST' })).status, 401, 'the route verifies the token')
  const response = await fetch(`${url}/orders/1/ship`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  t.same(await response.json(), { shipped: '1' })
  await until(() => frames.filter((frame) => frame.type === 'event').length === 2)
  t.match(frames.filter((frame) => frame.type === 'event'), [
    { event: 'order:status_updated', data: { id: '1', status: 'shipped' }, room: 'org:7' },
    { event: 'notification:new', data: { text: 'Order 1 shipped' } }
  ])
})

t.test('the README\'s quick start without JWT_SECRET fails naming jwt.secret', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' }
  delete env.JWT_SECRET
  const child = spawn(process.execPath, [join(packed.dir, 'types', 'readme', 'out', 'quick-start.mjs')], { cwd: packed.dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk) => { stderr += String(chunk) })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  t.not(code, 0)
  t.match(stderr, /option "jwt\.secret" must be set/)
})

/** Resolves with the URL Fastify logs it listens at. */
async function listeningUrl (child: ChildProcess): Promise<string> {
  return await new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk) => {
      output += String(chunk)
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) resolve(match[1])
    })
    child.on('exit', (code) => { reject(new Error(`the quick start exited with ${code}: ${output}`)) })
  })
}

async function until (condition: () => boolean, timeout = 5_000): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeout) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
