'use strict'

/**
 * Microseconds on the monotonic clock. process.hrtime reads CLOCK_MONOTONIC, which every process
 * on the machine shares, so a time taken in a server process and one taken in the load generator
 * can be subtracted (performance.now() cannot: its origin is per process).
 */
function nowUs () {
  return Number(process.hrtime.bigint() / 1000n)
}

module.exports = { nowUs }
