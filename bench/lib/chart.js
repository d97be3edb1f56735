'use strict'
const { pairKey } = require('../scenarios')

/*
 * A hand-written SVG chart of a results document: one panel per scenario, one bar per target
 * (the median), a whisker from min to max, baselines in grey and the plugin in blue.
 */

const WIDTH = 1000
const COLUMNS = 2
const PANEL_WIDTH = WIDTH / COLUMNS
const PADDING = 16
const LABEL_WIDTH = 200
const VALUE_WIDTH = 100
const BAR_AREA = PANEL_WIDTH - 2 * PADDING - LABEL_WIDTH - VALUE_WIDTH
const ROW_HEIGHT = 22
const TITLE_HEIGHT = 34
const HEADER_HEIGHT = 48
const COLORS = { baseline: '#9aa5b1', plugin: '#2f7ed8', whisker: '#333', text: '#222', muted: '#888' }

function escapeXml (text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function shortValue (value, unit) {
  if (unit === 'cmds') return value.toFixed(2)
  if (unit === 'µs') return `${value.toFixed(1)} µs`
  if (unit === 'ms') return `${value.toFixed(value < 10 ? 2 : 1)} ms`
  if (unit === 'bytes') return `${(value / 1024).toFixed(1)} KiB`
  return value >= 10_000 ? `${Math.round(value / 1000)}k/s` : `${Math.round(value)}/s`
}

function panel (document, scenario, x, y) {
  const targets = document.targets.filter((t) => t.nodes === (scenario.nodes ?? 1))
  const cells = document.results[scenario.id] ?? {}
  const scaleMax = Math.max(1e-9, ...Object.values(cells).map((cell) => cell.max))
  const parts = [
    `<text x="${x + PADDING}" y="${y + 20}" font-size="13" font-weight="bold" fill="${COLORS.text}">${escapeXml(scenario.label)}</text>`,
    `<text x="${x + PANEL_WIDTH - PADDING}" y="${y + 20}" font-size="11" text-anchor="end" fill="${COLORS.muted}">${escapeXml(`${scenario.unit}, ${scenario.better} is better`)}</text>`
  ]
  targets.forEach((target, row) => {
    const top = y + TITLE_HEIGHT + row * ROW_HEIGHT
    const barX = x + PADDING + LABEL_WIDTH
    parts.push(`<text x="${barX - 8}" y="${top + 14}" font-size="12" text-anchor="end" fill="${COLORS.text}">${escapeXml(target.label)}</text>`)
    const cell = cells[target.id]
    if (cell === undefined) {
      parts.push(`<text x="${barX}" y="${top + 14}" font-size="11" font-style="italic" fill="${COLORS.muted}">${target.pending ? 'pending' : 'no data'}</text>`)
      return
    }
    const scale = (value) => (value / scaleMax) * BAR_AREA
    const color = target.role === 'plugin' ? COLORS.plugin : COLORS.baseline
    const ratio = document.ratios[pairKey({ plugin: target.id, baseline: target.baseline })]?.[scenario.id]
    const label = shortValue(cell.median, scenario.unit) + (ratio === undefined ? '' : ` · ${ratio.median.toFixed(2)}×`)
    parts.push(
      `<rect x="${barX}" y="${top + 3}" width="${scale(cell.median).toFixed(1)}" height="${ROW_HEIGHT - 8}" fill="${color}"/>`,
      `<line x1="${(barX + scale(cell.min)).toFixed(1)}" x2="${(barX + scale(cell.max)).toFixed(1)}" y1="${top + 10}" y2="${top + 10}" stroke="${COLORS.whisker}" stroke-width="1"/>`,
      `<text x="${barX + BAR_AREA + 6}" y="${top + 14}" font-size="11" fill="${COLORS.text}">${escapeXml(label)}</text>`
    )
  })
  return { svg: parts.join('\n'), height: TITLE_HEIGHT + targets.length * ROW_HEIGHT + PADDING }
}

function renderChart (document) {
  const panels = []
  let height = HEADER_HEIGHT
  for (let i = 0; i < document.scenarios.length; i += COLUMNS) {
    const row = document.scenarios.slice(i, i + COLUMNS).map((scenario, column) => panel(document, scenario, column * PANEL_WIDTH, height))
    panels.push(...row.map((p) => p.svg))
    height += Math.max(...row.map((p) => p.height))
  }
  const rounds = document.runs === 1 ? '1 round' : `${document.runs} rounds`
  const title = `fastify-realtime bench — ${document.startedAt}, median of ${rounds} (whiskers: min–max; × = plugin ÷ its baseline)`
  const machine = `${document.machine.cpu} × ${document.machine.cores} cores, Node ${document.machine.node}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${PADDING}" y="22" font-size="15" font-weight="bold" fill="${COLORS.text}">${escapeXml(title)}</text>`,
    `<text x="${PADDING}" y="40" font-size="11" fill="${COLORS.muted}">${escapeXml(machine)}</text>`,
    ...panels,
    '</svg>',
    ''
  ].join('\n')
}

module.exports = { renderChart }
