import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

// `npm run demo` as a newcomer meets it: the client line it prints, pasted in another directory,
// connects; stopping npm (whose shell does not pass the signal on) stops the server too.
const ROOT = join(__dirname, '..')

t.test('the demo\'s printed client line works outside the repository, and the server stops with its parent', async (t) => {
  // As npm runs a script: a shell that waits for node, which no signal to the shell reaches.
  const shell = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} examples/demo/server.js; true`], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { shell.kill('SIGKILL') })
  let output = ''
  const printed = await new Promise<{ address: string, clientLine: string }>((resolve, reject) => {
    shell.stdout.on('data', (chunk) => {
      output += String(chunk)
      const address = /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1]
      const clientLine = /^ {2}(node -e .*)$/m.exec(output)?.[1]
      if (address !== undefined && clientLine !== undefined) resolve({ address, clientLine })
    })
    shell.on('exit', () => { reject(new Error(`the demo exited: ${output}`)) })
  })

  const client = spawn('bash', ['-c', printed.clientLine], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { client.kill('SIGKILL') })
  const firstFrame = await new Promise<string>((resolve, reject) => {
    let received = ''
    let errors = ''
    client.stdout.on('data', (chunk) => {
      received += String(chunk)
      if (received.includes('\n')) resolve(received.split('\n')[0])
    })
    client.stderr.on('data', (chunk) => { errors += String(chunk) })
    client.on('exit', () => { reject(new Error(`the client line failed: ${errors}`)) })
  })
  t.match(JSON.parse(firstFrame), { type: 'welcome', user: { sub: 'demo-user' } })
  client.kill('SIGKILL')

  shell.kill('SIGTERM')
  const started = Date.now()
  let stopped = false
  while (!stopped && Date.now() - started < 10_000) {
    stopped = await fetch(`${printed.address}/`).then(() => false, () => true)
    if (!stopped) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(stopped, 'the server closed its port once npm\'s shell was gone')
})
