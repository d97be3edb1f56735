'use strict'
const { SCENARIOS, PAIRS, GOALS, pairKey } = require('../scenarios')
const { summarise } = require('./stats')

/*
 * Turns the per-round metrics into the results document (bench/results/latest.json) and renders
 * it as markdown. Ratios are paired by round — plugin and baseline measured minutes apart in the
 * same round — then summarised like every other number: median, min–max.
 */

/**
 * Plugin ÷ baseline of one field of every scenario, taken per round, then summarised; keyed by
 * pairKey(pair), then by scenario.
 */
function pairedRatios (rounds, field) {
  const ratios = {}
  for (const pair of PAIRS) {
    for (const scenario of SCENARIOS) {
      const perRound = rounds
        .map((round) => [round[pair.plugin]?.[scenario.id]?.[field], round[pair.baseline]?.[scenario.id]?.[field]])
        .filter(([plugin, baseline]) => plugin !== undefined && baseline !== undefined && baseline !== 0)
        .map(([plugin, baseline]) => plugin / baseline)
      if (perRound.length > 0) (ratios[pairKey(pair)] ??= {})[scenario.id] = { baseline: pair.baseline, ...summarise(perRound) }
    }
  }
  return ratios
}

/** `rounds[i][targetId]` is that round's metrics of a target (or absent if it failed or was skipped). */
function buildResults ({ kind = 'default', targets, rounds, failures, machine, config, startedAt, durationMs, skippedRounds }) {
  const scenarios = SCENARIOS.filter((s) => (s.group ?? 'default') === kind)
  const results = {}
  for (const scenario of scenarios) {
    results[scenario.id] = {}
    for (const target of targets) {
      const values = rounds.map((round) => round[target.id]?.[scenario.id]?.value).filter((v) => v !== undefined)
      if (values.length === 0) continue
      const cell = summarise(values)
      const details = rounds.map((round) => round[target.id]?.[scenario.id]).filter((m) => m !== undefined)
      if (details[0].serverCpu !== undefined) {
        cell.serverCpu = summarise(details.map((m) => m.serverCpu)).median
        cell.generatorCpu = summarise(details.map((m) => m.generatorCpu)).median
        cell.perServerCpuSecond = summarise(details.map((m) => m.perServerCpuSecond))
      }
      if (details[0].retries !== undefined) cell.retries = summarise(details.map((m) => m.retries))
      if (details[0].listenOverflows !== undefined) cell.listenOverflows = summarise(details.map((m) => m.listenOverflows))
      if (details[0].ratePerSecond !== undefined) cell.offeredEmitsPerSecond = summarise(details.map((m) => m.ratePerSecond)).median
      if (details[0].perEmit !== undefined) cell.perEmit = summariseFields(details.map((m) => m.perEmit)).medians
      results[scenario.id][target.id] = cell
    }
  }
  // The storm with recovery's counts (resumed, lost, duplicated, …), per target, over the rounds.
  const recoveryDetails = {}
  for (const target of targets) {
    const details = rounds.map((round) => round[target.id]?.recoveryDetails).filter((d) => d !== undefined)
    if (details.length > 0) recoveryDetails[target.id] = summariseFields(details).summaries
  }
  const ratios = pairedRatios(rounds, 'value')
  const efficiencyRatios = pairedRatios(rounds, 'perServerCpuSecond')
  const goals = GOALS.filter((goal) => scenarios.some((s) => s.id === goal.scenario)).map((goal) => {
    const pending = targets.some((t) => (t.id === goal.plugin || t.id === goal.baseline) && t.pending !== undefined)
    const ratio = ratios[pairKey(goal)]?.[goal.scenario]
    let status
    if (pending) status = 'pending'
    else if (ratio === undefined) status = 'no data'
    else status = (goal.atLeast !== undefined ? ratio.median >= goal.atLeast : ratio.median <= goal.atMost) ? 'met' : 'missed'
    return { ...goal, ratio: ratio ?? null, status }
  })
  return {
    kind,
    startedAt,
    durationMs,
    machine,
    config,
    runs: rounds.length,
    skippedRounds,
    targets: targets.map(({ id, label, role, baseline, nodes, pending }) => ({ id, label, role, baseline: baseline ?? null, nodes, pending: pending ?? null })),
    scenarios,
    results,
    ratios,
    efficiencyRatios,
    goals,
    recoveryDetails,
    failures
  }
}

/**
 * Per field of a list of objects (one per round): the summary of its values, and the medians
 * alone. A field missing from a round is left out of that round's values.
 */
function summariseFields (objects) {
  const summaries = {}
  const medians = {}
  for (const field of new Set(objects.flatMap((object) => Object.keys(object)))) {
    const values = objects.map((object) => object[field]).filter((value) => typeof value === 'number')
    if (values.length === 0) continue
    summaries[field] = summarise(values)
    medians[field] = summaries[field].median
  }
  return { summaries, medians }
}

function formatValue (value, unit) {
  if (unit === 'cmds') return value.toFixed(2)
  if (unit === 'µs') return `${value.toFixed(1)} µs`
  if (unit === 'ms') return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
  if (unit === 'bytes') return `${Math.round(value).toLocaleString('en')} B`
  const rounded = value >= 100_000 ? `${Math.round(value / 1000)}k` : value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : Math.round(value).toLocaleString('en')
  return `${rounded}/s`
}

function formatCell (cell, unit) {
  if (cell === undefined) return '–'
  return `${formatValue(cell.median, unit)} (${formatValue(cell.min, unit).replace(/ ?(ms|µs|B|\/s)$/, '')}–${formatValue(cell.max, unit)})`
}

function formatRatio (ratio) {
  if (ratio === undefined || ratio === null) return '–'
  return `**${ratio.median.toFixed(2)}×** (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`
}

function targetCell (results, document, scenario, targetId) {
  const target = document.targets.find((t) => t.id === targetId)
  if (target?.pending) return 'pending'
  const cell = results[scenario.id]?.[targetId]
  if (cell === undefined && document.failures.some((f) => f.target === targetId)) return 'failed'
  return formatCell(cell, scenario.unit)
}

function pairTable (document, pairs, nodes) {
  const labelOf = (id) => document.targets.find((t) => t.id === id)?.label ?? id
  const header = ['Scenario']
  for (const pair of pairs) header.push(labelOf(pair.baseline), labelOf(pair.plugin), `${labelOf(pair.plugin)} ÷ ${labelOf(pair.baseline)}`)
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  for (const scenario of document.scenarios.filter((s) => (s.nodes ?? 1) === nodes)) {
    const row = [`${scenario.label} (${scenario.better} is better)`]
    for (const pair of pairs) {
      row.push(targetCell(document.results, document, scenario, pair.baseline), targetCell(document.results, document, scenario, pair.plugin))
      const pending = document.targets.some((t) => (t.id === pair.plugin || t.id === pair.baseline) && t.pending)
      row.push(pending ? 'pending' : formatRatio(document.ratios[pairKey(pair)]?.[scenario.id]))
    }
    lines.push(`| ${row.join(' | ')} |`)
  }
  return lines.join('\n')
}

/**
 * Frames per second of server CPU, and the CPU shares behind the rates: the view that holds when
 * other work on the machine slowed a round down, and that shows when the generator was the limit.
 */
function efficiencyTable (document) {
  const lines = [
    '### Cost per frame (frames per server CPU-second; CPU share of server / generator while measuring)',
    '',
    '| Scenario | Target | Frames per server CPU-second | CPU server / generator | ÷ baseline |',
    '|---|---|---|---|---|'
  ]
  for (const scenario of document.scenarios.filter((s) => s.unit === 'msgs/s')) {
    for (const [targetId, cell] of Object.entries(document.results[scenario.id] ?? {})) {
      if (cell.perServerCpuSecond === undefined) continue
      const target = document.targets.find((t) => t.id === targetId)
      const label = target?.label ?? targetId
      const cpu = `${Math.round(cell.serverCpu * 100)}% / ${Math.round(cell.generatorCpu * 100)}%`
      // Against the target's own baseline (targets.js), the first pair it is the plugin of.
      const ratio = document.efficiencyRatios[pairKey({ plugin: targetId, baseline: target?.baseline })]?.[scenario.id]
      lines.push(`| ${scenario.id} | ${label} | ${formatCell(cell.perServerCpuSecond, 'msgs/s').replace(/\/s/g, '')} | ${cpu} | ${formatRatio(ratio)} |`)
    }
  }
  return lines
}

function machineLine (machine) {
  return `${machine.cpu} × ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; ` +
    `load average (1/5/15 min) ${machine.loadAverageAtStart.join(' / ')} at the start, ${machine.loadAverageAtEnd.join(' / ')} at the end; ` +
    `bench processes ${machine.benchPriorityRaised ? 'ran at nice -10' : 'could not raise their priority'}`
}

function trailer (document) {
  const lines = []
  if (document.skippedRounds > 0) lines.push(`**${document.skippedRounds} round(s) skipped to stay within the time budget.**`, '')
  for (const failure of document.failures) {
    lines.push(`**Failed:** ${failure.round === 0 ? 'before the first round' : `round ${failure.round}`}, ${failure.target}: ${failure.error}`, '')
  }
  return lines
}

/** The scale check (`--scale`): one node at 15,000 connections and the reconnect storm. */
function renderScaleMarkdown (document) {
  const labelOf = (id) => document.targets.find((t) => t.id === id)?.label ?? id
  const retries = Object.entries(document.results.storm ?? {})
    .map(([id, cell]) => `${labelOf(id)} ${cell.retries.median} (${cell.retries.min}–${cell.retries.max})`)
  const lines = [
    `Scale check of ${document.startedAt} — ${document.runs} rounds (median, min–max in brackets), ${(document.durationMs / 1000).toFixed(0)} s in all.`,
    '',
    `Machine: ${machineLine(document.machine)}.`,
    '',
    '### One node at scale',
    '',
    pairTable(document, PAIRS.filter((p) => p.nodes === 1), 1),
    ''
  ]
  const overflows = Object.entries(document.results.storm ?? {})
    .map(([id, cell]) => `${labelOf(id)} ${cell.listenOverflows.median} (${cell.listenOverflows.min}–${cell.listenOverflows.max})`)
  if (retries.length > 0) {
    lines.push(`Storm: handshakes refused or reset and made again (median per round, min–max): ${retries.join('; ')}. ` +
      `Connections the kernel dropped from a full listen queue during the storm (TcpExt ListenOverflows, whole machine; each costs its client a SYN retransmission, 1 s or more): ${overflows.join('; ')}.`, '')
  }
  lines.push(...efficiencyTable(document), '', ...trailer(document))
  return lines.join('\n')
}

/** The goals of one issue measured by this document, as a table. */
function goalTable (document, issue) {
  const goals = document.goals.filter((goal) => goal.issue === issue)
  if (goals.length === 0) return []
  return [
    `### Targets (issue ${issue})`,
    '',
    '| Target | Ratio (median, min–max) | Status |',
    '|---|---|---|',
    ...goals.map((goal) => `| ${goal.text} | ${goal.status === 'pending' ? '–' : formatRatio(goal.ratio)} | ${goal.status} |`),
    ''
  ]
}

/** Which commands the Redis commands per emit were, per two-node target (medians of the rounds). */
function redisCommandsLine (document) {
  const cells = Object.entries(document.results.redisPerEmit ?? {})
  if (cells.length === 0) return []
  const labelOf = (id) => document.targets.find((t) => t.id === id)?.label ?? id
  const parts = cells.map(([id, cell]) => {
    const commands = Object.entries(cell.perEmit ?? {})
      .filter(([, perEmit]) => perEmit >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .map(([command, perEmit]) => `${command.toUpperCase()} ${perEmit.toFixed(2)}`)
    return `${labelOf(id)}: ${commands.join(', ') || 'none'}`
  })
  return [`Redis commands per emit, by command (median of the rounds; every command the redis-server ran during the many-rooms measurement, both nodes together, ÷ the emits of both; the commands a Lua script runs are counted besides its EVALSHA, which is the one round trip): ${parts.join('; ')}.`, '']
}

/** The reconnect storm with recovery (`--recovery`): the times side by side, then the counts. */
function renderRecoveryMarkdown (document) {
  const pairs = PAIRS.filter((p) => p.section === 'recovery' && (p.runs === undefined || p.runs.includes('recovery')))
  const labelOf = (id) => document.targets.find((t) => t.id === id)?.label ?? id
  const range = (summary) => summary === undefined ? '–' : `${summary.median.toLocaleString('en')} (${summary.min.toLocaleString('en')}–${summary.max.toLocaleString('en')})`
  const lines = [
    `Reconnect storm with recovery of ${document.startedAt} — ${document.runs} rounds (median, min–max in brackets), ${(document.durationMs / 1000).toFixed(0)} s in all.`,
    '',
    `Machine: ${machineLine(document.machine)}.`,
    '',
    '### Two nodes over Redis, recovery on',
    '',
    pairTable(document, pairs, 2),
    '',
    ...goalTable(document, 15)
  ]
  const details = Object.entries(document.recoveryDetails ?? {})
  if (details.length > 0) {
    lines.push(
      '| Per storm (median, min–max) | ' + details.map(([id]) => labelOf(id)).join(' | ') + ' |',
      '|---|' + details.map(() => '---').join('|') + '|'
    )
    const rows = [
      ['clients resumed (the server said so)', 'resumed'],
      ['clients with every event sent before the drop', 'caughtUp'],
      ['clients with nothing to resume from at the drop', 'withoutResumePoint'],
      ['events sent in all (both nodes)', 'emitted'],
      ['deliveries expected (every client, every event of its room)', 'expected'],
      ['events lost (never arrived)', 'lost'],
      ['clients that lost events', 'clientsWithLoss'],
      ['events duplicated', 'duplicated'],
      ['clients with duplicates', 'clientsWithDuplicates'],
      ['events out of order (after a later one of the same node)', 'reordered'],
      ['handshakes made again (refused or reset)', 'retries'],
      ['connections dropped from a full listen queue (whole machine)', 'listenOverflows']
    ]
    for (const [text, field] of rows) lines.push(`| ${text} | ${details.map(([, summary]) => range(summary[field])).join(' | ')} |`)
    lines.push('')
  }
  lines.push(...trailer(document))
  return lines.join('\n')
}

/** The results as markdown: the side-by-side tables, the goals, how it was measured. */
function renderMarkdown (document) {
  if (document.kind === 'scale') return renderScaleMarkdown(document)
  if (document.kind === 'recovery') return renderRecoveryMarkdown(document)
  const single = PAIRS.filter((p) => p.nodes === 1)
  const double = PAIRS.filter((p) => p.nodes === 2 && p.section === undefined)
  const recovery = PAIRS.filter((p) => p.nodes === 2 && p.section === 'recovery')
  const rate = Object.values(document.results.latencyP99 ?? {})[0]?.offeredEmitsPerSecond
  const lines = [
    `Run of ${document.startedAt} — ${document.runs} rounds (median, min–max in brackets), ${(document.durationMs / 1000).toFixed(0)} s in all.`,
    '',
    `Machine: ${machineLine(document.machine)}.`,
    '',
    '### One node',
    '',
    pairTable(document, single, 1),
    '',
    '### Two nodes over Redis',
    '',
    pairTable(document, double, 2),
    '',
    '### Two nodes over Redis, recovery on (issue 15)',
    '',
    pairTable(document, recovery, 2),
    '',
    ...redisCommandsLine(document),
    ...goalTable(document, 5),
    ...goalTable(document, 15)
  ]
  if (rate !== undefined) lines.push(`Latency: one emit per turn to 1,000 clients at ${rate.toFixed(1)} emits/s (the same offered rate for every target), measured from each event's intended send time.`, '')
  lines.push(...efficiencyTable(document), '', ...trailer(document))
  return lines.join('\n')
}

module.exports = { buildResults, renderMarkdown }
