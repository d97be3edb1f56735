'use strict'
const { fork } = require('node:child_process')
const { raisePriority } = require('./priority')

const DEFAULT_CALL_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 3_000

/**
 * A bench process (a server under test or the load generator) driven over IPC: `call(cmd, args)`
 * resolves with what the child's handler returned. Every call has a deadline, so a stuck child
 * fails the bench instead of hanging it.
 */
class Child {
  constructor (script, { label, env = {}, execArgv = [] }) {
    this.label = label
    this.nextId = 1
    this.pending = new Map()
    this.process = fork(script, [], {
      execArgv,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    raisePriority(this.process.pid)
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve
      this.onFailedStart = reject
    })
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        const error = new Error(`${label} exited (code ${code}, signal ${signal})`)
        this.onFailedStart(error)
        for (const { reject } of this.pending.values()) reject(error)
        this.pending.clear()
        resolve()
      })
    })
    this.process.on('message', (message) => this.receive(message))
  }

  receive (message) {
    if (message.type === 'ready') {
      this.onReady(message.info)
      return
    }
    const call = this.pending.get(message.id)
    if (call === undefined) return
    this.pending.delete(message.id)
    clearTimeout(call.timer)
    if (message.error !== undefined) call.reject(new Error(`${this.label} ${call.cmd}: ${message.error}`))
    else call.resolve(message.result)
  }

  call (cmd, args = {}, timeoutMs = DEFAULT_CALL_TIMEOUT_MS) {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.label} ${cmd}: no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { cmd, resolve, reject, timer })
      this.process.send({ id, cmd, args })
    })
  }

  /** Ends the child: SIGTERM, then SIGKILL if it has not exited after a grace period. */
  async stop () {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return
    this.process.kill('SIGTERM')
    const timer = setTimeout(() => this.process.kill('SIGKILL'), STOP_GRACE_MS)
    await this.exited
    clearTimeout(timer)
  }
}

module.exports = { Child }
