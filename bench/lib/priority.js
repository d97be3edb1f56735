'use strict'
const fs = require('node:fs')
const os = require('node:os')

/*
 * Bench processes ask the OS to favour them, so that other work on a shared machine disturbs the
 * measurements less: nice -10 for each process and, where Linux groups processes by session for
 * scheduling (autogroup), for the bench's session, as nice alone only weighs processes within one
 * group. Only root may raise a priority; elsewhere this quietly does nothing, and
 * `priorityRaised()` tells the results which way it went.
 */
const BENCH_PRIORITY = -10
const AUTOGROUP = '/proc/self/autogroup'
let raised = true
let sessionNiceBefore = null

function raisePriority (pid) {
  try {
    os.setPriority(pid, BENCH_PRIORITY)
  } catch {
    raised = false
  }
}

/** For the bench's own process, at the start: covers every process it starts in its session. */
function raiseSessionPriority () {
  raisePriority(process.pid)
  if (!fs.existsSync(AUTOGROUP)) return
  try {
    // "/autogroup-7 nice 0": the session's weight before the bench, put back by restoreSessionPriority.
    sessionNiceBefore = /nice (-?\d+)/.exec(fs.readFileSync(AUTOGROUP, 'utf8'))?.[1] ?? null
    fs.writeFileSync(AUTOGROUP, String(BENCH_PRIORITY))
  } catch {
    raised = false
  }
}

/** The session outlives the bench (a shell, say): leave its scheduling weight as it was. */
function restoreSessionPriority () {
  if (sessionNiceBefore === null) return
  try {
    fs.writeFileSync(AUTOGROUP, sessionNiceBefore)
  } catch {}
}

function priorityRaised () {
  return raised
}

module.exports = { raisePriority, raiseSessionPriority, restoreSessionPriority, priorityRaised }
