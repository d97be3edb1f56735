'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const config = require('./config')
const { TARGETS } = require('./targets')
const { runSession, runScaleSession, runRecoverySession } = require('./lib/session')
const { startRedis } = require('./lib/redis')
const { buildResults, renderMarkdown } = require('./lib/report')
const { renderChart } = require('./lib/chart')
const { priorityRaised, raiseSessionPriority, restoreSessionPriority } = require('./lib/priority')

/*
 * `npm run bench`: every target that is not a pending slot, in rounds (each round runs every
 * target once, baselines first, so drift of the machine hits all of them alike), then the
 * results as JSON, markdown and SVG in bench/results/, and the table in bench/README.md.
 *
 * Options: --runs N (default config.RUNS), --only id,id (a subset of targets; ratios need the
 * baseline in the subset too), --no-write (print only), --profile (each server process writes a
 * V8 CPU profile to bench/results/tmp/profiles/, for Chrome DevTools or `node bench/profile.js`),
 * --scale (the scale check instead: 15,000 connections on one node and the reconnect storm, for
 * the one-node targets, in sessions of their own; written to bench/results/scale.{json,md} and
 * between the bench:scale markers of bench/README.md), --recovery (the reconnect storm with
 * recovery instead: the two-node targets with recovery on, in sessions of their own; written to
 * bench/results/recovery.{json,md} and between the bench:recovery markers).
 */

const RESULTS_DIR = path.join(__dirname, 'results')
const PROFILE_DIR = path.join(RESULTS_DIR, 'tmp', 'profiles')
const README = path.join(__dirname, 'README.md')
const OUTPUTS = {
  default: { name: 'latest', title: 'Latest bench results', start: '<!-- bench:latest:start -->', end: '<!-- bench:latest:end -->', chart: true },
  scale: { name: 'scale', title: 'Latest scale check', start: '<!-- bench:scale:start -->', end: '<!-- bench:scale:end -->', chart: false },
  recovery: { name: 'recovery', title: 'Latest reconnect storm with recovery', start: '<!-- bench:recovery:start -->', end: '<!-- bench:recovery:end -->', chart: false }
}

/** What each kind of run measures: its sessions, its targets, its time budget. */
const KINDS = {
  default: { session: runSession, eligible: () => true, budgetMs: config.BUDGET_MS },
  scale: { session: runScaleSession, eligible: (target) => target.nodes === 1, budgetMs: config.SCALE_BUDGET_MS },
  recovery: { session: runRecoverySession, eligible: (target) => target.recovery === true, budgetMs: config.RECOVERY_BUDGET_MS }
}

function parseArgs (argv) {
  const args = { runs: config.RUNS, only: null, write: true, profile: false, scale: false, recovery: false }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') args.runs = Number(argv[++i])
    else if (argv[i] === '--only') args.only = argv[++i].split(',')
    else if (argv[i] === '--no-write') args.write = false
    else if (argv[i] === '--profile') args.profile = true
    else if (argv[i] === '--scale') args.scale = true
    else if (argv[i] === '--recovery') args.recovery = true
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (args.scale && args.recovery) throw new Error('--scale and --recovery are runs of their own: one at a time')
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs takes a positive integer')
  return args
}

function describeMachine () {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((load) => Math.round(load * 100) / 100)
  }
}

function summaryLine (metrics) {
  // Entries without a number (the storm's counts) are details for the report, not a summary.
  return Object.entries(metrics)
    .filter(([, { value }]) => typeof value === 'number')
    .map(([id, { value }]) => `${id}=${value >= 100 ? Math.round(value) : value.toFixed(2)}`)
    .join(' ')
}

function writeOutputs (document) {
  const output = OUTPUTS[document.kind]
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  const markdown = renderMarkdown(document)
  fs.writeFileSync(path.join(RESULTS_DIR, `${output.name}.json`), `${JSON.stringify(document, null, 2)}\n`)
  fs.writeFileSync(path.join(RESULTS_DIR, `${output.name}.md`), `# ${output.title}\n\n${markdown}`)
  if (output.chart) fs.writeFileSync(path.join(RESULTS_DIR, `${output.name}.svg`), renderChart(document))
  const readme = fs.readFileSync(README, 'utf8')
  const start = readme.indexOf(output.start)
  const end = readme.indexOf(output.end)
  if (start !== -1 && end > start) {
    fs.writeFileSync(README, `${readme.slice(0, start + output.start.length)}\n${markdown}\n${readme.slice(end)}`)
  }
  return markdown
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)')
  raiseSessionPriority()
  process.once('SIGINT', () => {
    restoreSessionPriority()
    process.exit(130)
  })
  const started = Date.now()
  const machine = describeMachine()
  // The scale check runs the one-node targets only, the storm with recovery the targets with
  // recovery on; each in sessions of their own.
  const kind = args.scale ? 'scale' : args.recovery ? 'recovery' : 'default'
  const { session, budgetMs } = KINDS[kind]
  const eligible = TARGETS.filter(KINDS[kind].eligible)
  let active = eligible.filter((t) => t.pending === undefined && (args.only === null || args.only.includes(t.id)))
  const listed = eligible.filter((t) => args.only === null || args.only.includes(t.id) || t.pending !== undefined)
  const rounds = []
  const failures = []
  let redis = null
  if (active.some((t) => t.nodes === 2)) {
    try {
      redis = await startRedis()
    } catch (err) {
      // The one-node targets still run; the two-node ones are reported as failed, with the reason.
      for (const target of active.filter((t) => t.nodes === 2)) failures.push({ round: 0, target: target.id, error: `no redis-server: ${err.message}` })
      active = active.filter((t) => t.nodes !== 2)
    }
  }
  let skippedRounds = 0
  let lastRoundMs = 0
  try {
    for (let round = 1; round <= args.runs; round++) {
      // A round is started only if one as long as the last still ends within the budget.
      if (Date.now() - started + lastRoundMs > budgetMs) {
        skippedRounds = args.runs - round + 1
        break
      }
      const roundStart = Date.now()
      const results = {}
      const context = { redisUrl: redis?.url, latencyRate: undefined, profileDir: args.profile ? PROFILE_DIR : undefined }
      for (const target of active) {
        const sessionStart = Date.now()
        try {
          results[target.id] = await session(target, context)
          if (target.id === 'ws-bare' && kind === 'default') context.latencyRate = config.LATENCY_LOAD * results[target.id].single.emitsPerSecond
          console.log(`round ${round} ${target.id} (${((Date.now() - sessionStart) / 1000).toFixed(1)} s): ${summaryLine(results[target.id])}`)
        } catch (err) {
          failures.push({ round, target: target.id, error: err.message })
          console.log(`round ${round} ${target.id}: FAILED ${err.message}`)
        }
      }
      rounds.push(results)
      lastRoundMs = Date.now() - roundStart
    }
  } finally {
    await redis?.stop()
    restoreSessionPriority()
  }
  machine.loadAverageAtEnd = os.loadavg().map((load) => Math.round(load * 100) / 100)
  machine.benchPriorityRaised = priorityRaised()
  const { BUDGET_MS, SCALE_BUDGET_MS, RECOVERY_BUDGET_MS, ...sizes } = config
  const document = buildResults({
    kind,
    targets: listed,
    rounds,
    failures,
    machine,
    config: sizes,
    skippedRounds,
    startedAt: new Date(started).toISOString().replace(/\.\d+Z$/, 'Z'),
    durationMs: Date.now() - started
  })
  const markdown = args.write ? writeOutputs(document) : renderMarkdown(document)
  console.log(`\n${markdown}`)
  if (failures.length > 0) process.exitCode = 1
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
