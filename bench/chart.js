'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { renderChart } = require('./lib/chart')

/** Redraws the SVG chart from a results file: `node bench/chart.js [results.json] [chart.svg]`. */
const input = process.argv[2] ?? path.join(__dirname, 'results', 'latest.json')
const output = process.argv[3] ?? input.replace(/\.json$/, '.svg')
fs.writeFileSync(output, renderChart(JSON.parse(fs.readFileSync(input, 'utf8'))))
console.log(`wrote ${output}`)
