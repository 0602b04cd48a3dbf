#!/usr/bin/env node
// The end-to-end scenario the C# mediator must pass, here run against any mediator given by invitation URL, or against
// a Credo mediator started here (the reference).  Recipient (pickup v2 live or polling) + sender (DID Exchange via the
// recipient's mediated invitation); phase "live": N messages while the recipient is online; phase "offline": the
// recipient goes offline, N messages queue at the mediator, the recipient comes back and must get every one.
// Each message must arrive exactly once.  Output: JSON lines (phase results, summary); exit 0 only if all checks pass.
import net from 'node:net'
import { emit, fail, installCrashHandlers, parseCli, intArg } from './lib/common.mjs'
import { Child } from './lib/child.mjs'

const usage = `usage: node scenario.mjs [--mediator-invitation-url <url>] [--sender-mediator-invitation-url <url>]
  [--invitation-endpoint <url> | --invitation-endpoint ws]
  [--count 200] [--pickup live|poll] [--phases live,offline] [--timeout-ms 120000] [--settle-ms 1000]
  [--forwarding QueueAndLiveModeDelivery|QueueOnly|DirectDelivery] [--verbose] [--trace] [--log-level warn]
Without --mediator-invitation-url a Credo mediator (mediator.mjs) is started on a free loopback port
(--separate-sender-mediator: a second one for the sender). --handshake applies to the invitations created here.`

installCrashHandlers()
const args = parseCli({
  'mediator-invitation-url': { type: 'string' },
  'sender-mediator-invitation-url': { type: 'string' },
  'invitation-endpoint': { type: 'string' },
  count: { type: 'string' },
  pickup: { type: 'string', default: 'live' },
  phases: { type: 'string', default: 'live,offline' },
  'timeout-ms': { type: 'string' },
  'settle-ms': { type: 'string' },
  forwarding: { type: 'string', default: 'QueueAndLiveModeDelivery' },
  handshake: { type: 'string', default: 'both' },
  'separate-sender-mediator': { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  trace: { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'warn' },
}, usage)
const count = intArg(args, 'count', 200)
const timeoutMs = intArg(args, 'timeout-ms', 120000)
const settleMs = intArg(args, 'settle-ms', 1000)
const phases = args.phases.split(',').map((p) => p.trim()).filter(Boolean)
for (const phase of phases) if (!['live', 'offline', 'drop'].includes(phase)) fail(`unknown phase '${phase}'`, 2)
if (!['live', 'poll', 'poll-v1', 'implicit', 'auto'].includes(args.pickup)) fail(`--pickup must be live, poll, poll-v1, implicit or auto, got '${args.pickup}'`, 2)
const logLevel = args['log-level']
const traceArgs = args.trace ? ['--trace'] : []

const children = []
const onEvent = args.verbose ? (name, event) => process.stderr.write(`[${name}] ${JSON.stringify(event)}\n`) : undefined
function start(name, script, scriptArgs) {
  const child = new Child(name, script, scriptArgs, { onEvent })
  children.push(child)
  return child
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

const timings = {}
async function timed(name, action) {
  const started = Date.now()
  const result = await action()
  timings[name] = Date.now() - started
  return result
}

/** Waits until the recipient has reported every content of `expected` (a Set), then checks exactly-once. */
async function expectMessages(recipient, phase, expected, since) {
  const seen = new Map()
  let duplicates = []
  let timedOut
  try {
    await recipient.waitFor((event) => {
      if (event.event !== 'message') return false
      if (event.__counted === undefined) {
        event.__counted = true
        const n = (seen.get(event.content) ?? 0) + 1
        seen.set(event.content, n)
        if (n > 1) duplicates.push(event.content)
      }
      return [...expected].every((c) => seen.has(c))
    }, timeoutMs, () => `${expected.size} messages of phase '${phase}' (have ${seen.size})`, since)
  } catch (error) {
    // Report what did and did not arrive instead of only the timeout.
    timedOut = error.message
  }
  // Late duplicates: give the mediator a moment to (wrongly) deliver something twice, then count again.
  if (!timedOut) await new Promise((resolve) => setTimeout(resolve, settleMs))
  const mark = recipient.mark()
  recipient.send({ cmd: 'stats' })
  const stats = await recipient.waitForEvent('stats', 10000, mark)
  const messages = recipient.events.slice(since).filter((e) => e.event === 'message')
  const counts = new Map()
  for (const m of messages) counts.set(m.content, (counts.get(m.content) ?? 0) + 1)
  duplicates = [...counts].filter(([, n]) => n > 1).map(([c, n]) => ({ content: c, n }))
  const unexpected = [...counts.keys()].filter((c) => !expected.has(c))
  const missing = [...expected].filter((c) => !counts.has(c))
  return { phase, expected: expected.size, received: messages.length, unique: counts.size, duplicates, unexpected,
    missing, timedOut, recipientTotals: { received: stats.received, unique: stats.unique } }
}

let failed = false
try {
  async function startMediator(name) {
    const port = await freePort()
    const mediator = start(name, 'mediator.mjs', ['--port', String(port), '--forwarding', args.forwarding,
      '--handshake', args.handshake, '--log-level', logLevel, ...traceArgs])
    const ready = await timed(`${name}Start`, () => mediator.waitForEvent('ready', 30000))
    emit(name, { port, forwarding: args.forwarding })
    return ready.invitationUrl
  }
  let mediatorUrl = args['mediator-invitation-url']
  if (!mediatorUrl) mediatorUrl = await startMediator('mediator')
  if (args['separate-sender-mediator'] && !args['sender-mediator-invitation-url']) {
    args['sender-mediator-invitation-url'] = await startMediator('senderMediator')
  }
  const senderMediatorUrl = args['sender-mediator-invitation-url'] ?? mediatorUrl

  // "ws" means: the mediator's own WebSocket endpoint (sender's forwards then travel over WS instead of HTTP).
  let invitationEndpoint = args['invitation-endpoint']
  if (invitationEndpoint === 'ws') {
    const invitation = JSON.parse(Buffer.from(new URL(mediatorUrl).searchParams.get('oob'), 'base64url').toString())
    invitationEndpoint = invitation.services.map((s) => s.serviceEndpoint).find((e) => /^wss?:/.test(e))
    if (!invitationEndpoint) throw new Error('the mediator invitation has no WebSocket service')
  }
  const endpointArgs = invitationEndpoint ? ['--invitation-endpoint', invitationEndpoint] : []
  endpointArgs.push('--handshake', args.handshake)
  const recipient = start('recipient', 'recipient.mjs', [...endpointArgs, '--mediator-invitation-url', mediatorUrl, '--pickup', args.pickup,
    '--poll-interval-ms', '500', '--timeout-ms', String(Math.min(timeoutMs, 60000)), '--log-level', logLevel, ...traceArgs])
  const invitation = await timed('recipientStart', () => recipient.waitForEvent('invitation', 60000))
  if (args.pickup === 'live') {
    await recipient.waitFor((e) => e.event === 'live-delivery' && e.liveDelivery === true, 30000, 'live delivery on')
  }
  emit('recipient-ready', { ms: timings.recipientStart })

  const sender = start('sender', 'sender.mjs', ['--invitation-url', invitation.url, '--mediator-invitation-url',
    senderMediatorUrl, '--interactive', '--timeout-ms', String(Math.min(timeoutMs, 60000)), '--log-level', logLevel, ...traceArgs])
  await timed('senderConnect', () => sender.waitForEvent('connected', 60000))
  emit('sender-connected', { ms: timings.senderConnect })

  const results = []
  for (const phase of phases) {
    const prefix = `${phase}${results.length}-${Date.now()}`
    const expected = new Set(Array.from({ length: count }, (_, i) => `${prefix}-${i}`))
    const since = recipient.mark()
    if (phase === 'offline') {
      const m = recipient.mark()
      recipient.send({ cmd: 'offline' })
      await recipient.waitForEvent('offline', 30000, m)
    }
    const started = Date.now()
    const senderMark = sender.mark()
    sender.send({ cmd: 'send', count, prefix })
    let dropped
    if (phase === 'drop') {
      // Kill the recipient's socket(s) abruptly once a quarter of the batch was sent (live deliveries in flight).
      await sender.waitFor((e) => e.event === 'sent' && e.index >= Math.floor(count / 4), timeoutMs, 'a quarter sent', senderMark)
      const m = recipient.mark()
      recipient.send({ cmd: 'drop-socket' })
      dropped = (await recipient.waitForEvent('socket-dropped', 10000, m)).count
    }
    const done = await sender.waitForEvent('done', timeoutMs, senderMark)
    let onlineMs
    let onlineMark
    let liveAgain
    let receivedWhileOffline = 0
    if (phase === 'offline') {
      const m = recipient.mark()
      onlineMark = m
      // Nothing may reach an offline recipient: otherwise "offline" was not real and the phase proves nothing.
      receivedWhileOffline = recipient.events.slice(since).filter((e) => e.event === 'message').length
      const back = Date.now()
      recipient.send({ cmd: 'online' })
      await recipient.waitForEvent('online', 60000, m)
      onlineMs = Date.now() - back
    }
    const receiveStarted = Date.now()
    const result = await expectMessages(recipient, phase, expected, since)
    result.untilAllReceivedMs = Date.now() - started - settleMs
    result.afterSendOrOnlineMs = Date.now() - receiveStarted - settleMs
    if (phase === 'offline' && args.pickup === 'live') {
      // Back online, Credo must have re-enabled live mode (it does so only after the queued-message pickup round ends
      // within 10 s); otherwise later messages would not be pushed.
      try {
        await recipient.waitFor((e) => e.event === 'live-delivery' && e.liveDelivery === true, 30000, 'live delivery on again', onlineMark)
        liveAgain = true
      } catch {
        liveAgain = false
      }
      result.liveAgain = liveAgain
    }
    result.sendMs = done.ms
    result.onlineMs = onlineMs
    result.receivedWhileOffline = receivedWhileOffline
    if (dropped !== undefined) result.socketsDropped = dropped
    result.ok = result.received === count && result.unique === count && result.duplicates.length === 0 &&
      result.unexpected.length === 0 && result.missing.length === 0 && receivedWhileOffline === 0 &&
      liveAgain !== false
    results.push(result)
    emit('phase', result)
    if (!result.ok) failed = true
    if (result.timedOut) break // the children may be in any state now: later phases would prove nothing
  }
  emit('summary', { ok: !failed, count, pickup: args.pickup, invitationEndpoint, phases: results.map((r) => ({ phase: r.phase, ok: r.ok,
    sendMs: r.sendMs, untilAllReceivedMs: r.untilAllReceivedMs })), timings })
} catch (error) {
  failed = true
  emit('error', { message: String(error?.message ?? error) })
  for (const child of children) {
    process.stderr.write(`--- last stderr lines of ${child.name} ---\n${child.stderrTail.join('\n')}\n`)
  }
} finally {
  // Stop in reverse order: sender, recipient, then the mediator.
  for (const child of [...children].reverse()) {
    const code = await child.stop()
    if (code !== 0) {
      emit('child-exit', { name: child.name, code })
      failed = true
    }
  }
}
process.stdout.write(failed ? '0 passed, 1 failed\n' : '1 passed, 0 failed\n', () => process.exit(failed ? 1 : 0))
