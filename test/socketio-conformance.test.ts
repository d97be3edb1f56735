/**
 * Protocol conformance: the official Socket.IO and Engine.IO protocol test suites (vendored in
 * test/conformance/, run by test/conformance/harness.ts as mocha would), against plain socket.io
 * 4.8 configured as the Socket.IO suite's reference server, and against the plugin with app code
 * doing what that reference server does (test/conformance/servers.ts, in a worker thread). The
 * Engine.IO suite, written for engine.io's echo server at /engine.io/, runs against each Socket.IO
 * server serving that path, and against engine.io's echo server itself, which checks the harness.
 *
 * Each suite test is a subtest. A test listed below as a known failure of a server is `todo`,
 * with the reason, while it fails; a failure that is not listed is a real failure, so a
 * regression shows; a listed test that passes is an ordinary pass, with a comment asking to take
 * it off the list. The scores are comments: `# plugin: socket.io-protocol 25/32`.
 */
import { once } from 'node:events'
import { resolve } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import t, { type Test } from 'tap'
import { defineEngineIoProtocolSuite } from './conformance/engineio-protocol-suite'
import { runSuite, testNames, type SuiteDefinition } from './conformance/harness'
import type { ConformanceTarget, TargetUrls } from './conformance/servers'
import { defineSocketIoProtocolSuite } from './conformance/socketio-protocol-suite'

type SuiteName = keyof TargetUrls

interface Suite {
  name: SuiteName
  define: SuiteDefinition
  total: number
}

const SOCKETIO_PROTOCOL: Suite = { name: 'socket.io-protocol', define: defineSocketIoProtocolSuite, total: 32 }
const ENGINEIO_PROTOCOL: Suite = { name: 'engine.io-protocol', define: defineEngineIoProtocolSuite, total: 24 }

/** Why a server fails a test, by the test's full name. */
type KnownFailures = Readonly<Record<string, string>>

/** An Engine.IO suite test that is racy (see RACY_TESTS) and also needs an echo server. */
const PROBE_RACE = 'Engine.IO protocol › upgrade › ignores HTTP requests with same sid after upgrade'

/** The Engine.IO suite expects engine.io's echo server; a Socket.IO server reads the `message` packets it sends. */
const NOT_AN_ECHO_SERVER = 'a Socket.IO server is no engine.io echo server: the engine.io `message` packets the suite sends ("4hello", binary) are Socket.IO packets to it, malformed ones, and it closes the session instead of echoing them'

/** What plain socket.io and the plugin both fail in the Engine.IO suite, for that reason. */
const ECHO_TESTS = [
  'Engine.IO protocol › message › HTTP long-polling › sends and receives a payload containing one plain text packet',
  'Engine.IO protocol › message › HTTP long-polling › sends and receives a payload containing several plain text packets',
  'Engine.IO protocol › message › HTTP long-polling › sends and receives a payload containing plain text and binary packets',
  'Engine.IO protocol › message › WebSocket › sends and receives a plain text packet',
  'Engine.IO protocol › message › WebSocket › sends and receives a binary packet',
  'Engine.IO protocol › upgrade › successfully upgrades from HTTP long-polling to WebSocket',
  PROBE_RACE,
  'Engine.IO protocol › upgrade › ignores WebSocket connection with same sid after upgrade'
]
const ECHO_FAILURES: KnownFailures = Object.fromEntries(ECHO_TESTS.map((name) => [name, NOT_AN_ECHO_SERVER]))

/**
 * Upstream tests that a server which behaves right can still fail, by a millisecond or an event's
 * order, with why. They get up to RACY_ATTEMPTS runs (as mocha's `this.retries()` would give
 * them), unless the server is known to fail them for another reason.
 */
const RACY_TESTS: ReadonlyMap<string, string> = new Map([
  // The session must be gone when the test polls it `pingInterval + pingTimeout` after the
  // handshake's answer: engine.io closes it that long after the handshake (plus its timers' lag),
  // and over 127.0.0.1 the answer and the poll take about a millisecond each. The poll wins the
  // race about one time in four, and gets the ping ("2"), with 200.
  ['Engine.IO protocol › heartbeat › HTTP long-polling › should close the session upon ping timeout', 'racy upstream: the poll can reach the server a millisecond before the ping timeout closes the session'],
  ['Engine.IO protocol › heartbeat › HTTP long-polling › closes the session upon ping timeout', 'racy upstream: the poll can reach the server a millisecond before the ping timeout closes the session'],
  // The test sends "2probe" and "5" without waiting for "3probe", polls, and only then listens for
  // the echo of its "4hello": when the client reads the poll's answer first (its continuation
  // runs before the WebSocket's data is read in the same turn of the event loop, which gets
  // likely under load), "3probe" is the message the test gets.
  [PROBE_RACE, 'racy upstream: "3probe" can be read after the poll\'s answer, once the test listens for the echo of "4hello" (likely under load)']
])
const RACY_ATTEMPTS = 6

function racyReason (name: string): string {
  const reason = RACY_TESTS.get(name)
  if (reason === undefined) throw new Error(`"${name}" is not listed as racy`)
  return reason
}

// Why the plugin fails what plain socket.io passes (issue 17, point 1): the one deliberate difference.
const INVALID_TOKEN_REFUSED = 'deliberate: the CONNECT payload\'s auth.token ("123", "abc") is present but no valid JWT, so the connection is refused (44 … {"message":"Invalid token","data":{"code":"UNAUTHORIZED"}}) even with auth.required: false, on the realtime namespace (socketio-namespace.ts) and on /custom (other-namespaces.ts) alike'

/**
 * Every test a server fails, with the reason (exact for the code they were recorded against:
 * everything else passes).
 */
const KNOWN_FAILURES: Record<ConformanceTarget, Record<SuiteName, KnownFailures>> = {
  echo: {
    'socket.io-protocol': {},
    'engine.io-protocol': {
      // A check of the harness, not of a server: the race may win every attempt on a busy machine.
      [PROBE_RACE]: racyReason(PROBE_RACE)
    }
  },
  plain: {
    'socket.io-protocol': {},
    'engine.io-protocol': ECHO_FAILURES
  },
  plugin: {
    'socket.io-protocol': {
      'Socket.IO protocol › connect › should allow connection to the main namespace with a payload': INVALID_TOKEN_REFUSED,
      'Socket.IO protocol › connect › should allow connection to a custom namespace with a payload': INVALID_TOKEN_REFUSED
    },
    'engine.io-protocol': ECHO_FAILURES
  }
}

const LABELS: Record<ConformanceTarget, string> = {
  echo: 'engine.io echo server',
  plain: 'plain socket.io 4.8',
  plugin: 'plugin'
}

/** A worker compiles lib/ (through tap's TypeScript loader) before it listens: seconds, not more. */
const WORKER_START_TIMEOUT = 30_000

/** Starts `target`'s servers in a worker thread, terminated when the test ends. */
async function startTarget (t: Test, target: ConformanceTarget): Promise<TargetUrls> {
  const worker = new Worker(resolve(__dirname, 'conformance', 'servers.ts'), { workerData: { target } })
  t.teardown(async () => { await worker.terminate() })
  const started = new AbortController()
  const [message] = await Promise.race([
    once(worker, 'message', { signal: started.signal }) as Promise<[{ urls?: TargetUrls, error?: string }]>,
    once(worker, 'exit', { signal: started.signal }).then(([code]) => { throw new Error(`the ${target} servers exited with ${String(code)}`) }),
    setTimeout(WORKER_START_TIMEOUT, undefined, { signal: started.signal }).then(() => { throw new Error(`the ${target} servers did not listen within ${WORKER_START_TIMEOUT} ms`) })
  ]).finally(() => { started.abort() })
  if (message.urls === undefined) throw new Error(`the ${target} servers did not start: ${message.error ?? 'no reason given'}`)
  return message.urls
}

/** Runs `suite` against the server at `url`, one subtest per suite test; resolves with the score. */
async function checkSuite (t: Test, target: ConformanceTarget, suite: Suite, url: string): Promise<number> {
  const known = KNOWN_FAILURES[target][suite.name]
  const names = testNames(suite.define)
  t.equal(names.length, suite.total, `${suite.name} has ${suite.total} tests`)
  for (const name of Object.keys(known)) t.ok(names.includes(name), `known failure "${name}" is a test of ${suite.name}`)

  const outcomes = await runSuite(suite.define, url, {
    attempts: (name) => RACY_TESTS.has(name) && (known[name] === undefined || known[name] === RACY_TESTS.get(name)) ? RACY_ATTEMPTS : 1
  })
  for (const outcome of outcomes) {
    const reason = known[outcome.name]
    t.test(outcome.name, { todo: !outcome.passed && reason !== undefined ? reason : false }, async (t) => {
      if (!outcome.passed) {
        t.fail(`${outcome.error ?? 'failed'}${outcome.attempts > 1 ? ` (each of ${outcome.attempts} attempts failed)` : ''}`)
        return
      }
      if (reason !== undefined && reason !== RACY_TESTS.get(outcome.name)) t.comment(`listed as a known failure ("${reason}") but passes now: take it off KNOWN_FAILURES`)
      t.pass(`passes (${outcome.ms} ms${outcome.attempts > 1 ? `, at attempt ${outcome.attempts}: a racy test` : ''})`)
    })
  }
  const passed = outcomes.filter((outcome) => outcome.passed).length
  t.comment(`${LABELS[target]}: ${suite.name} ${passed}/${outcomes.length}`)
  return passed
}

t.test('the harness: engine.io\'s own echo server passes the Engine.IO suite', async (t) => {
  const urls = await startTarget(t, 'echo')
  await checkSuite(t, 'echo', ENGINEIO_PROTOCOL, urls['engine.io-protocol'])
})

for (const target of ['plain', 'plugin'] as const) {
  t.test(LABELS[target], async (t) => {
    const urls = await startTarget(t, target)
    for (const suite of [SOCKETIO_PROTOCOL, ENGINEIO_PROTOCOL]) await checkSuite(t, target, suite, urls[suite.name])
  })
}
