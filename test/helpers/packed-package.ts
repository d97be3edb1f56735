import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
export const ROOT = join(__dirname, '..', '..')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

export interface PackedPackage {
  /** A directory whose node_modules holds the packed fastify-realtime and, linked, the repository's other packages. */
  dir: string
  /** Paths in the tarball, as npm pack listed them. */
  files: string[]
  remove: () => void
}

/**
 * Packs the package as `npm publish` would (from the dist/ that `npm test` has just built: the
 * `prepack` build is skipped so the tests do not rewrite dist/ under each other) and unpacks it
 * into node_modules of a temporary directory. Its dependencies resolve from the repository's
 * node_modules through links, so no network is needed.
 */
export async function packPackage (): Promise<PackedPackage> {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-realtime-pack-'))
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, timeout: 60_000 })
  const [{ filename, files }] = JSON.parse(stdout) as Array<{ filename: string, files: Array<{ path: string }> }>
  const modules = join(dir, 'node_modules')
  const unpacked = join(modules, 'fastify-realtime')
  mkdirSync(unpacked, { recursive: true })
  await run('tar', ['-xzf', join(dir, filename), '-C', unpacked, '--strip-components=1'])
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === 'fastify-realtime' || name.startsWith('.')) continue
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name))
  }
  cpSync(join(ROOT, 'test', 'types'), join(dir, 'types'), { recursive: true })
  return { dir, files: files.map((file) => file.path), remove: () => { rmSync(dir, { recursive: true, force: true }) } }
}

/** Type-checks a project of test/types (copied next to the packed package); resolves with tsc's output. */
export async function typeCheck (packed: PackedPackage, project: string, extraArgs: string[] = []): Promise<{ ok: boolean, output: string }> {
  try {
    const { stdout } = await run(process.execPath, [TSC, '-p', join(packed.dir, 'types', project), ...extraArgs], { cwd: packed.dir, timeout: 120_000 })
    return { ok: true, output: stdout }
  } catch (err) {
    return { ok: false, output: (err as { stdout?: string }).stdout ?? String(err) }
  }
}
