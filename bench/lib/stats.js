'use strict'

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Median with the spread of the runs it summarises. */
function summarise (values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values }
}

/** The q-quantile (0..1) of the first `count` entries of a typed array, sorted in place. */
function quantiles (samples, count, qs) {
  const view = samples.subarray(0, count).sort()
  return qs.map((q) => view[Math.min(count - 1, Math.floor(q * count))])
}

/** Least-squares slope of y over x: bytes per connection from (connections, bytes) points. */
function slope (xs, ys) {
  const n = xs.length
  const meanX = xs.reduce((a, b) => a + b, 0) / n
  const meanY = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - meanX) * (ys[i] - meanY)
    den += (xs[i] - meanX) ** 2
  }
  return num / den
}

module.exports = { median, summarise, quantiles, slope }
