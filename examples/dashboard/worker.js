'use strict'
// A batch job in its own process: reports progress to the dashboard through Redis with the
// emitter, without running a server or knowing which node the viewers are on.
const { createEmitter } = require('fastify-realtime/emitter')

const STEPS = Number(process.env.STEPS ?? 10)
const STEP_MS = Number(process.env.STEP_MS ?? 500)

async function runJob (emitter, jobId, { steps = STEPS, stepMs = STEP_MS } = {}) {
  for (let step = 1; step <= steps; step++) {
    await new Promise((resolve) => setTimeout(resolve, stepMs))
    await emitter.to('dashboard').emit('job:progress', { jobId, percent: Math.round((step / steps) * 100) })
  }
}

async function main () {
  if (!process.env.REDIS_URL) throw new Error('set REDIS_URL to the Redis the dashboard uses')
  const emitter = createEmitter({ redis: process.env.REDIS_URL })
  try {
    await runJob(emitter, process.env.JOB_ID ?? `job-${process.pid}`)
  } finally {
    await emitter.close()
  }
}

module.exports = { runJob }

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
