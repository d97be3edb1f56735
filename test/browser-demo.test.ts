import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import t, { type Test } from 'tap'

// Debian's chromium, installed by .ci/run; playwright-core never downloads a browser.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Saved outside the tree by default so a test run leaves git clean; the README's copy is refreshed with
// DEMO_SCREENSHOT=examples/demo/screenshot.png npm test
const SCREENSHOT = process.env.DEMO_SCREENSHOT ?? join(__dirname, '..', '.tap', 'demo-screenshot.png')
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'
]

interface DemoServer { app: { close: () => Promise<void> }, address: string }
// The demo is plain CommonJS requiring the built package, like every example.
const { start } = require('../examples/demo/server.js') as { start: (options: { port: number, logLevel: string }) => Promise<DemoServer> }

async function launch (t: Test): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`)
  const profile = mkdtempSync(join(tmpdir(), 'realtime-chromium-'))
  // A persistent context is how playwright gives chromium its own fresh --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
    .catch((err: unknown) => {
      rmSync(profile, { recursive: true, force: true })
      throw err
    })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  return context
}

async function openDemo (t: Test): Promise<{ page: Page, server: DemoServer }> {
  const server = await start({ port: 0, logLevel: 'warn' })
  t.teardown(() => server.app.close())
  const browser = await launch(t)
  const page = await browser.newPage()
  await page.goto(`${server.address}/`)
  await page.locator('#ws-status.connected').waitFor({ timeout: 10_000 })
  await page.locator('#io-status.connected').waitFor({ timeout: 10_000 })
  return { page, server }
}

t.test('both clients on the demo page receive an event the server emits to a room', async (t) => {
  const { page } = await openDemo(t)
  await page.fill('#room', 'public:browser-test')
  await page.fill('#text', 'shipped from the browser test')
  await page.click('button[type=submit]')

  for (const log of ['#ws-log', '#io-log']) {
    const line = page.locator(`${log} li.demo`, { hasText: 'shipped from the browser test' })
    await line.waitFor({ timeout: 10_000 })
    t.match(await line.textContent(), /demo:message .*"text":"shipped from the browser test"/, `${log} shows the event`)
  }
  t.match(await page.locator('#ws-log li.demo').first().textContent(), /"room":"public:browser-test"/, 'the WebSocket client is told the room')
  await page.screenshot({ path: SCREENSHOT })
})
