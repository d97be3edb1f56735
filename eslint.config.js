'use strict'

const neostandard = require('neostandard')

// The Fastify ecosystem's style (neostandard, as Fastify's own repositories use), with TypeScript.
module.exports = [
  { ignores: ['dist/**', 'coverage/**', '.tap/**', 'bench/results/**'] },
  { ignores: ['test/conformance/*-protocol-suite.ts'] }, // the official protocol suites, vendored as upstream wrote them so they diff against it
  ...neostandard({ ts: true }),
  {
    rules: {
      // `void promise` marks a promise left running on purpose (its failures are handled inside).
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
