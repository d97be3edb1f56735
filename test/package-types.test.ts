import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { packPackage, ROOT, typeCheck, type PackedPackage } from './helpers/packed-package'

// The package as users get it (npm pack of the build `npm test` has just made), type-checked by
// small consumer projects under `strict`, one per common module setup. Each proves, with lines
// marked to expect a type error, that a wrong payload, an undeclared event and a wrong ack are refused.
let packed: PackedPackage

t.before(async () => {
  packed = await packPackage()
  // One text checked in every TypeScript setup, as an ES module or as CommonJS.
  const template = join(packed.dir, 'types', 'shared', 'app.ts.template')
  for (const [project, file] of [['esm-node16', 'app.mts'], ['bundler', 'app.mts'], ['cjs-ts', 'app.cts']]) {
    copyFileSync(template, join(packed.dir, 'types', project, file))
  }
})
t.teardown(() => packed?.remove())

t.test('the tarball ships the build, its declarations and the sources its source maps point at', async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.match(pkg.scripts.prepack, /npm run build/, 'npm pack from a fresh clone builds dist/ first')
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/client/index.d.ts', 'dist/emitter.d.ts', 'lib/index.ts']) {
    t.ok(packed.files.includes(file), file)
  }
  const map = JSON.parse(readFileSync(join(packed.dir, 'node_modules', 'fastify-realtime', 'dist', 'index.js.map'), 'utf8')) as { sources: string[] }
  for (const source of map.sources) t.ok(packed.files.includes(join('dist', source)), `the map's source ${source} is shipped`)
})

const projects: Array<[string, string]> = [
  ['esm-node16', 'TypeScript ESM, module node16'],
  ['cjs-ts', 'TypeScript compiled to CommonJS with esModuleInterop'],
  ['bundler', 'moduleResolution bundler'],
  ['cjs-js', 'CommonJS JavaScript with // @ts-check'],
  ['loose', 'nodenext with no event map and no JWT user declared: as loose as before']
]

// Two tsc processes at a time (the machines running the suite have two cores), started at once so
// the file stays well inside tap's timeout.
let checks: Map<string, Promise<{ ok: boolean, output: string }>> | undefined
function checkAll (): Map<string, Promise<{ ok: boolean, output: string }>> {
  if (checks !== undefined) return checks
  const results = new Map<string, Promise<{ ok: boolean, output: string }>>()
  const previous: Array<Promise<unknown>> = [Promise.resolve(), Promise.resolve()]
  projects.forEach(([project], index) => {
    const lane = index % 2
    const result = previous[lane].then(() => typeCheck(packed, project))
    previous[lane] = result
    results.set(project, result)
  })
  checks = results
  return results
}

for (const [project, setup] of projects) {
  t.test(`${setup} (test/types/${project}) type-checks`, async (t) => {
    const { ok, output } = await (checkAll().get(project) ?? Promise.reject(new Error(`no check for ${project}`)))
    t.ok(ok, output)
  })
}

t.test('the declared values of the entry are exactly what require() returns', async (t) => {
  // Read with the compiler, as a consumer's `require('fastify-realtime')` sees the declarations.
  const ts = await import('typescript')
  const file = join(packed.dir, 'types', 'entry-values.cts')
  writeFileSync(file, "import realtime = require('fastify-realtime')\nexport = realtime\n")
  const program = ts.createProgram([file], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, strict: true, noEmit: true, types: [] })
  const checker = program.getTypeChecker()
  const statement = program.getSourceFile(file)?.statements[0]
  if (statement === undefined || !ts.isImportEqualsDeclaration(statement)) throw new Error('no import of the entry')
  const declared = checker.getPropertiesOfType(checker.getTypeAtLocation(statement.name)).map((property) => property.name).sort()
  const runtime = Object.keys(require(join(packed.dir, 'node_modules', 'fastify-realtime')) as object).sort()
  t.same(declared, runtime)
})
