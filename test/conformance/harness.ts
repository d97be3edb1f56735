/**
 * What the vendored protocol suites (./socketio-protocol-suite.ts, ./engineio-protocol-suite.ts)
 * expect around them, in place of mocha, chai + chai-string, node-fetch and upstream's
 * node-imports.js: a `describe`/`it` that collects the tests (with mocha's 2 s default timeout and
 * `this.timeout(ms)` in a describe), the part of chai's `expect` the suites use, and a runner that
 * runs one test at a time, as mocha does, bounded by its timeout, and cleans up after it (every
 * WebSocket it opened is terminated, every fetch it started is aborted), so that a failing test
 * leaves nothing running into the next one.
 */
import assert, { AssertionError } from 'node:assert'
import { isDeepStrictEqual, inspect } from 'node:util'
import { WebSocket as WsWebSocket } from 'ws'

/** mocha's default per-test timeout. */
const MOCHA_TIMEOUT = 2000

/** The parameters of a vendored suite's defining function (upstream's globals). */
export interface SuiteEnvironment {
  URL: string
  describe: (title: string, body: (this: SuiteContext) => void) => void
  it: (title: string, body: () => Promise<unknown>) => void
  expect: (actual: unknown) => Expectation
  fetch: typeof fetch
  /** What the suites call: `new WebSocket(url)`. */
  WebSocket: new (address: string) => WsWebSocket
}

/** `this` in a describe callback: mocha's `this.timeout(ms)`. */
export interface SuiteContext {
  timeout: (ms: number) => void
}

export type SuiteDefinition = (environment: SuiteEnvironment) => void

export interface SuiteTest {
  /** The titles of its describes and its own, joined with ' › '. */
  readonly name: string
  readonly timeout: number
  readonly body: () => Promise<unknown>
}

export interface TestOutcome {
  readonly name: string
  readonly passed: boolean
  /** Why it failed (its last attempt): the assertion, the error, or the timeout. */
  readonly error?: string
  /** How long its last attempt took. */
  readonly ms: number
  /** How many times it ran: more than once only when it may be retried (see runSuite) and failed. */
  readonly attempts: number
}

export interface RunOptions {
  /** How many times a test may run before it counts as failed (mocha's `this.retries(n)` plus one); 1 unless given. */
  attempts?: (name: string) => number
}

/** One run's resources, so a test's leftovers can be cleaned up once it is over. */
class TestScope {
  readonly sockets = new Set<WsWebSocket>()
  readonly aborts = new AbortController()
  /** Fails the running test, as mocha fails it on an uncaught exception. */
  fail: (err: Error) => void = () => {}
  over = false

  cleanUp (): void {
    this.over = true
    for (const socket of this.sockets) socket.terminate()
    this.aborts.abort()
  }
}

/**
 * Defines `suite` against the server at `url` and runs its tests one after the other, each in a
 * scope of its own, as many times as `attempts` allows it while it fails.
 */
export async function runSuite (suite: SuiteDefinition, url: string, { attempts = () => 1 }: RunOptions = {}): Promise<TestOutcome[]> {
  let scope = new TestScope()
  const tests = collectTests(suite, {
    URL: url,
    expect,
    fetch: async (input, init) => await fetch(input, { ...init, signal: scope.aborts.signal }),
    WebSocket: trackedWebSocket(() => scope)
  })
  const outcomes: TestOutcome[] = []
  for (const test of tests) {
    const allowed = Math.max(1, attempts(test.name))
    let outcome: TestOutcome
    let attempt = 0
    do {
      attempt++
      scope = new TestScope()
      outcome = { ...await runTest(test, scope), attempts: attempt }
      scope.cleanUp()
    } while (!outcome.passed && attempt < allowed)
    outcomes.push(outcome)
  }
  return outcomes
}

/** The names of a suite's tests, in order, without running any. */
export function testNames (suite: SuiteDefinition): string[] {
  const unused = (): never => { throw new Error('not running') }
  return collectTests(suite, { URL: 'http://127.0.0.1:1', expect, fetch: unused, WebSocket: WsWebSocket }).map((test) => test.name)
}

function collectTests (suite: SuiteDefinition, environment: Omit<SuiteEnvironment, 'describe' | 'it'>): SuiteTest[] {
  const tests: SuiteTest[] = []
  const titles: string[] = []
  const timeouts: number[] = [MOCHA_TIMEOUT]
  suite({
    ...environment,
    describe (title, body) {
      titles.push(title)
      timeouts.push(timeouts.at(-1) ?? MOCHA_TIMEOUT)
      body.call({ timeout: (ms) => { timeouts[timeouts.length - 1] = ms } })
      timeouts.pop()
      titles.pop()
    },
    it (title, body) {
      tests.push({ name: [...titles, title].join(' › '), timeout: timeouts.at(-1) ?? MOCHA_TIMEOUT, body })
    }
  })
  return tests
}

async function runTest (test: SuiteTest, scope: TestScope): Promise<Omit<TestOutcome, 'attempts'>> {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const failure = new Promise<never>((_resolve, reject) => {
    scope.fail = reject
    timer = setTimeout(() => {
      reject(new Error(`Timeout of ${test.timeout}ms exceeded: the test never finished`))
    }, test.timeout)
  })
  try {
    await Promise.race([test.body(), failure])
    return { name: test.name, passed: true, ms: Date.now() - started }
  } catch (err) {
    return { name: test.name, passed: false, error: describeError(err), ms: Date.now() - started }
  } finally {
    clearTimeout(timer)
  }
}

function describeError (err: unknown): string {
  if (err instanceof AssertionError) return err.message
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return inspect(err)
}

/**
 * ws's WebSocket, as upstream's node-imports.js puts it on globalThis, with two differences:
 * - `allowSynchronousEvents: false`: one `message` event per tick, as a browser dispatches them
 *   (one task each). The suites wait for one message after another (`await waitFor(socket,
 *   "message")` twice); since ws 8.17 (upstream pinned ^8.5) two messages that arrive in one TCP
 *   read are emitted in the same tick, and the second would reach no listener.
 * - It is remembered by the running test, and terminated when the test ends. An `error` event with
 *   no listener of the test's own fails the running test, as the uncaught exception EventEmitter
 *   throws for it fails a mocha test; after the test, such errors (from terminating it) are ignored.
 */
function trackedWebSocket (currentScope: () => TestScope): SuiteEnvironment['WebSocket'] {
  return class TrackedWebSocket extends WsWebSocket {
    constructor (address: string) {
      super(address, { allowSynchronousEvents: false })
      const scope = currentScope()
      scope.sockets.add(this)
      this.on('error', (err) => {
        if (!scope.over && this.listenerCount('error') === 1) scope.fail(err)
      })
    }
  }
}

/** The part of chai's `expect` (with chai-string's `startsWith`) that the suites use. */
export interface Expectation {
  readonly to: Expectation
  readonly be: Expectation
  readonly have: Expectation
  readonly all: Expectation
  eql: (expected: unknown) => void
  startsWith: (prefix: string) => void
  keys: (...names: string[]) => void
  a: (type: string) => void
  oneOf: (list: readonly unknown[]) => void
}

function expect (actual: unknown): Expectation {
  const expectation: Expectation = {
    get to () { return expectation },
    get be () { return expectation },
    get have () { return expectation },
    get all () { return expectation },
    eql (expected) {
      // chai's deep-eql: ArrayBuffers compare by their bytes, as node's deep equality does.
      if (!isDeepStrictEqual(actual, expected)) fail(`expected ${show(actual)} to deeply equal ${show(expected)}`, actual, expected)
    },
    startsWith (prefix) {
      if (typeof actual !== 'string' || !actual.startsWith(prefix)) fail(`expected ${show(actual)} to start with ${show(prefix)}`, actual, prefix)
    },
    keys (...names) {
      // `have.all.keys`: exactly these keys, no more, no fewer.
      const own = actual !== null && typeof actual === 'object' ? Object.keys(actual).sort() : []
      const wanted = [...names].sort()
      if (!isDeepStrictEqual(own, wanted)) fail(`expected ${show(actual)} to have exactly the keys ${show(wanted)}`, own, wanted)
    },
    a (type) {
      assert.equal(type, 'string', 'only a("string") is implemented')
      if (typeof actual !== 'string') fail(`expected ${show(actual)} to be a string`, actual, type)
    },
    oneOf (list) {
      if (!list.includes(actual)) fail(`expected ${show(actual)} to be one of ${show(list)}`, actual, list)
    }
  }
  return expectation
}

function fail (message: string, actual: unknown, expected: unknown): never {
  throw new AssertionError({ message, actual, expected })
}

function show (value: unknown): string {
  return inspect(value, { breakLength: Infinity, maxStringLength: 300 })
}
