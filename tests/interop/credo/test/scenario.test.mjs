// Runs scenario.mjs against the reference Credo mediator (live pickup and polling pickup), and checks that the harness
// fails when the mediator is unreachable.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import net from 'node:net'

const scenario = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'scenario.mjs')

function run(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [scenario, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`scenario timed out\n${stdout}\n${stderr}`)) }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const events = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
      resolve({ code, events, stdout, stderr })
    })
  })
}

for (const pickup of ['live', 'poll']) {
  test(`200 messages arrive exactly once, live and after offline, pickup=${pickup}`, { timeout: 240000 }, async () => {
    const { code, events, stdout, stderr } = await run(['--count', '200', '--pickup', pickup], 230000)
    assert.equal(code, 0, `scenario failed\n${stdout}\n${stderr.slice(-4000)}`)
    const phases = events.filter((e) => e.event === 'phase')
    assert.deepEqual(phases.map((p) => [p.phase, p.ok, p.unique, p.duplicates.length]),
      [['live', true, 200, 0], ['offline', true, 200, 0]])
    const summary = events.find((e) => e.event === 'summary')
    assert.equal(summary.ok, true)
  })
}

test('Connections 1.0 handshakes, sender behind a second mediator: 50 messages exactly once', { timeout: 240000 }, async () => {
  const { code, events, stdout, stderr } = await run(['--count', '50', '--handshake', 'connections',
    '--separate-sender-mediator'], 230000)
  assert.equal(code, 0, `scenario failed\n${stdout}\n${stderr.slice(-4000)}`)
  assert.ok(events.some((e) => e.event === 'senderMediator'), 'a second mediator was started')
  assert.deepEqual(events.filter((e) => e.event === 'phase').map((p) => [p.phase, p.ok]), [['live', true], ['offline', true]])
})

test('the scenario fails (exit 1, error line) when the mediator cannot be reached', { timeout: 120000 }, async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const p = server.address().port
      server.close(() => resolve(p))
    })
  })
  const invitation = Buffer.from(JSON.stringify({
    '@type': 'https://didcomm.org/out-of-band/1.1/invitation', '@id': 'b3b3a4d6-7d62-4a4f-8b0a-5a3c8f7b2a11',
    label: 'nobody', handshake_protocols: ['https://didcomm.org/didexchange/1.1'],
    services: [{ id: '#inline-0', type: 'did-communication', serviceEndpoint: `http://127.0.0.1:${port}`,
      recipientKeys: ['did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH'], routingKeys: [] }],
  })).toString('base64url')
  const { code, events } = await run(['--mediator-invitation-url', `http://127.0.0.1:${port}/invitation?oob=${invitation}`,
    '--count', '1', '--timeout-ms', '20000'], 110000)
  assert.equal(code, 1)
  assert.ok(events.some((e) => e.event === 'error'), 'an error line is reported')
})
