#!/usr/bin/env node
// A Credo 0.5.17 agent that accepts an invitation (DID Exchange 1.1 by default), then sends basic messages with unique
// contents. It reaches the world through a mediator of its own (--mediator-invitation-url), as a mobile wallet would.
// Driven by arguments (--count: send and exit) or JSON lines on stdin (--interactive); see README.md.
import { randomUUID } from 'node:crypto'
import { emit, fail, installCrashHandlers, parseCli, intArg, logLevelArg, withTimeout, readCommands,
  traceMessages } from './lib/common.mjs'
import { createMediatedAgent, pickupStrategies } from './lib/mediated-agent.mjs'

const usage = `usage: node sender.mjs --invitation-url <recipient invitation url> --mediator-invitation-url <url>
  [--count 200] [--interactive] [--prefix <text>] [--pickup live|poll|implicit] [--timeout-ms 30000]
  [--label credo-sender] [--trace] [--log-level warn]`

installCrashHandlers()
const args = parseCli({
  'invitation-url': { type: 'string' },
  'mediator-invitation-url': { type: 'string' },
  count: { type: 'string' },
  interactive: { type: 'boolean', default: false },
  prefix: { type: 'string' },
  pickup: { type: 'string', default: 'live' },
  'timeout-ms': { type: 'string' },
  label: { type: 'string', default: 'credo-sender' },
  trace: { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'warn' },
}, usage)
if (!args['invitation-url']) fail('--invitation-url is required', 2)
if (!args['mediator-invitation-url']) fail('--mediator-invitation-url is required', 2)
if (!(args.pickup in pickupStrategies)) fail(`--pickup must be one of ${Object.keys(pickupStrategies).join('|')}, got '${args.pickup}'`, 2)
if (args.count === undefined && !args.interactive) fail('give --count N (send and exit) or --interactive', 2)
const timeoutMs = intArg(args, 'timeout-ms', 30000)
const prefix = args.prefix ?? `msg-${randomUUID().slice(0, 8)}`

const agent = createMediatedAgent({
  label: args.label,
  logLevel: logLevelArg(args['log-level']),
  mediatorInvitationUrl: args['mediator-invitation-url'],
  pickup: args.pickup,
  pollIntervalMs: 1000,
  batchSize: 10,
})
if (args.trace) traceMessages(agent)

let connectionId
let sentTotal = 0

async function send(count, batchPrefix) {
  const started = Date.now()
  for (let i = 0; i < count; i++) {
    const content = `${batchPrefix}-${i}`
    const record = await withTimeout(agent.basicMessages.sendMessage(connectionId, content), timeoutMs,
      `sending basic message ${content}`)
    sentTotal++
    emit('sent', { index: i, content, messageId: record.threadId })
  }
  emit('done', { count, prefix: batchPrefix, ms: Date.now() - started, sentTotal })
}

let exiting = false
async function exit(code) {
  if (exiting) return
  exiting = true
  try {
    await withTimeout(agent.shutdown(), 10000, 'agent shutdown')
  } catch (error) {
    process.stderr.write(`shutdown failed: ${error?.stack ?? error}\n`)
  }
  emit('exited', { code, sentTotal })
  process.stdout.write('', () => process.exit(code))
}

try {
  await withTimeout(agent.initialize(), timeoutMs, 'agent initialisation (mediator connection, mediation grant)')
  emit('ready', {})
  const { connectionRecord } = await withTimeout(agent.oob.receiveInvitationFromUrl(args['invitation-url'], {
    label: args.label, autoAcceptConnection: true, reuseConnection: false,
  }), timeoutMs, 'receiving the invitation')
  if (!connectionRecord) throw new Error('the invitation created no connection (no handshake protocol?)')
  const connected = await agent.connections.returnWhenIsConnected(connectionRecord.id, { timeoutMs })
  connectionId = connected.id
  emit('connected', { connectionId, theirLabel: connected.theirLabel, protocol: connected.protocol,
    theirDid: connected.theirDid })
  if (args.count !== undefined) {
    await send(intArg(args, 'count', 0), prefix)
    if (!args.interactive) await exit(0)
  }
} catch (error) {
  fail(`sender failed: ${error?.stack ?? error}`)
}

if (args.interactive) {
  process.on('SIGTERM', () => exit(0))
  process.on('SIGINT', () => exit(0))
  let batch = 0
  readCommands(async (command) => {
    switch (command.cmd) {
      case 'send': {
        const count = command.count
        if (!Number.isInteger(count) || count < 0) return emit('bad-command', { cmd: 'send', reason: '"count" must be a non-negative integer' })
        return send(count, typeof command.prefix === 'string' ? command.prefix : `${prefix}-b${batch++}`)
      }
      case 'exit': return exit(0)
      default: return emit('bad-command', { cmd: command.cmd, reason: 'unknown command' })
    }
  }, () => exit(0))
}
