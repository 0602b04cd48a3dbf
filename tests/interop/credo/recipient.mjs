#!/usr/bin/env node
// A Credo 0.5.17 wallet-like agent that takes a mediator from its invitation URL, publishes an invitation that routes
// through that mediator, and reports every basic message it receives. Driven by JSON lines; see README.md.
import { emit, fail, installCrashHandlers, parseCli, intArg, logLevelArg, withTimeout, readCommands,
  traceMessages, handshakeArg } from './lib/common.mjs'
import { createMediatedAgent, pickupStrategies } from './lib/mediated-agent.mjs'


const usage = `usage: node recipient.mjs --mediator-invitation-url <url> [--pickup live|poll|poll-v1|implicit]
  [--poll-interval-ms 1000] [--batch-size 10] [--timeout-ms 30000] [--label credo-recipient] [--trace] [--log-level warn]
  [--no-invitation] [--invitation-endpoint <url>]`

installCrashHandlers()
const args = parseCli({
  'mediator-invitation-url': { type: 'string' },
  pickup: { type: 'string', default: 'live' },
  'poll-interval-ms': { type: 'string' },
  'batch-size': { type: 'string' },
  'timeout-ms': { type: 'string' },
  label: { type: 'string', default: 'credo-recipient' },
  trace: { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'warn' },
  'no-invitation': { type: 'boolean', default: false },
  'invitation-endpoint': { type: 'string' },
  handshake: { type: 'string', default: 'both' },
}, usage)
if (!args['mediator-invitation-url']) fail('--mediator-invitation-url is required', 2)
if (!(args.pickup in pickupStrategies)) fail(`--pickup must be one of ${Object.keys(pickupStrategies).join('|')}, got '${args.pickup}'`, 2)
const timeoutMs = intArg(args, 'timeout-ms', 30000)
handshakeArg(args.handshake) // validate early

const agent = createMediatedAgent({
  label: args.label,
  logLevel: logLevelArg(args['log-level']),
  mediatorInvitationUrl: args['mediator-invitation-url'],
  pickup: args.pickup,
  pollIntervalMs: intArg(args, 'poll-interval-ms', 1000),
  batchSize: intArg(args, 'batch-size', 10),
})
if (args.trace) traceMessages(agent)

let received = 0
const counts = new Map()
agent.events.on('BasicMessageStateChanged', ({ payload }) => {
  const record = payload.basicMessageRecord
  if (record.role !== 'receiver') return
  received++
  const content = payload.message.content
  const seen = (counts.get(content) ?? 0) + 1
  counts.set(content, seen)
  emit('message', { content, messageId: payload.message.id, connectionId: record.connectionId,
    sentTime: record.sentTime, duplicate: seen > 1 })
})

let online = false
async function goOnline(first) {
  await withTimeout(agent.initialize(), timeoutMs, 'agent initialisation (mediator connection, mediation grant)')
  online = true
  const mediator = await agent.mediationRecipient.findDefaultMediator()
  if (!mediator) throw new Error('no default mediator after initialisation')
  emit(first ? 'ready' : 'online', { mediatorConnectionId: mediator.connectionId, mediationState: mediator.state,
    routingKeys: mediator.routingKeys, endpoint: mediator.endpoint, pickup: args.pickup })
}

async function createInvitation(command = {}) {
  if (!online) throw new Error('cannot create an invitation while offline')
  // By default the invitation's service endpoint is the one the mediator granted (mediate-grant `endpoint`). An
  // override (e.g. another replica of the same mediator) also ends up in the DID document of the resulting connection,
  // because for a single-use invitation Credo answers DID Exchange with the invitation's inline services.
  const endpoint = command.endpoint ?? args['invitation-endpoint']
  const multiUse = command.multiUse === true
  if (endpoint && multiUse) throw new Error('an endpoint override needs a single-use invitation')
  const record = await withTimeout((async () => {
    let routing
    if (endpoint) {
      routing = await agent.mediationRecipient.getRouting({})
      routing.endpoints = [endpoint]
    }
    return agent.oob.createInvitation({
      label: args.label,
      handshakeProtocols: handshakeArg(command.handshake ?? args.handshake),
      multiUseInvitation: multiUse,
      routing,
    })
  })(), timeoutMs, 'invitation (keylist-update to the mediator)')
  const invitation = record.outOfBandInvitation
  emit('invitation', { url: invitation.toUrl({ domain: 'https://example.org/recipient' }),
    invitationId: invitation.id, invitation: invitation.toJSON() })
}

async function goOffline() {
  if (!online) throw new Error('already offline')
  await agent.mediationRecipient.stopMessagePickup()
  await withTimeout(agent.shutdown(), timeoutMs, 'agent shutdown')
  online = false
  emit('offline', {})
}

let exiting = false
async function exit(code) {
  if (exiting) return
  exiting = true
  if (online) {
    try {
      await withTimeout(agent.shutdown(), 10000, 'agent shutdown')
    } catch (error) {
      process.stderr.write(`shutdown failed: ${error?.stack ?? error}\n`)
    }
  }
  emit('exited', { code, received, unique: counts.size })
  process.stdout.write('', () => process.exit(code))
}

try {
  await goOnline(true)
  if (!args['no-invitation']) await createInvitation()
} catch (error) {
  fail(`startup failed: ${error?.stack ?? error}`)
}

process.on('SIGTERM', () => exit(0))
process.on('SIGINT', () => exit(0))
readCommands(async (command) => {
  switch (command.cmd) {
    case 'invitation': return createInvitation(command)
    case 'offline': return goOffline()
    case 'online': return goOnline(false)
    case 'pickup': {
      // One explicit pickup 2.0 round (status-request, delivery-requests until the queue is empty).
      const mediator = await agent.mediationRecipient.findDefaultMediator()
      await agent.messagePickup.pickupMessages({ connectionId: mediator.connectionId, protocolVersion: 'v2',
        awaitCompletion: true, awaitCompletionTimeoutMs: timeoutMs })
      return emit('pickup-done', {})
    }
    case 'drop-socket': {
      // Abrupt network loss: destroy every outbound WebSocket without a close handshake (ws `terminate()`). Credo
      // notices the close, waits baseMediatorReconnectionIntervalMs, reconnects, picks up and re-enables live mode.
      let dropped = 0
      for (const transport of agent.outboundTransports) {
        for (const socket of transport.transportTable?.values?.() ?? []) {
          socket.terminate()
          dropped++
        }
      }
      return emit('socket-dropped', { count: dropped })
    }
    case 'stats': {
      const duplicates = [...counts].filter(([, n]) => n > 1).map(([content, n]) => ({ content, n }))
      return emit('stats', { received, unique: counts.size, duplicates, online })
    }
    case 'exit': return exit(0)
    default: return emit('bad-command', { cmd: command.cmd, reason: 'unknown command' })
  }
}, () => exit(0))
