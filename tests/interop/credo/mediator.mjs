#!/usr/bin/env node
// A Credo 0.5.17 mediator (MediatorModule) on loopback: HTTP POST and WebSocket on ONE port. It is the reference the
// C# mediator is measured against: the scenario runs recipient + sender against it. See README.md for the protocol.
import http from 'node:http'
import { WebSocketServer } from 'ws'
import credo from '@credo-ts/core'
import credoNode from '@credo-ts/node'
import { emit, fail, installCrashHandlers, parseCli, intArg, logLevelArg, createAgent, readCommands, traceMessages,
  handshakeArg } from './lib/common.mjs'

const { MediatorModule, ConnectionsModule, HttpOutboundTransport, WsOutboundTransport } = credo
const { agentDependencies, HttpInboundTransport, WsInboundTransport } = credoNode

const usage = `usage: node mediator.mjs --port <n> [--host 127.0.0.1] [--label credo-mediator]
  [--forwarding QueueAndLiveModeDelivery|QueueOnly|DirectDelivery] [--handshake both|didexchange|connections] [--trace] [--log-level warn]`

installCrashHandlers()
const args = parseCli({
  port: { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  label: { type: 'string', default: 'credo-mediator' },
  forwarding: { type: 'string', default: 'QueueAndLiveModeDelivery' },
  handshake: { type: 'string', default: 'both' },
  trace: { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'warn' },
}, usage)
const port = intArg(args, 'port', undefined)
if (!port) fail('--port is required', 2)
if (!['QueueAndLiveModeDelivery', 'QueueOnly', 'DirectDelivery'].includes(args.forwarding)) {
  fail(`--forwarding must be QueueAndLiveModeDelivery, QueueOnly or DirectDelivery, got '${args.forwarding}'`, 2)
}
const host = args.host
const urlHost = host.includes(':') ? `[${host}]` : host

const agent = createAgent({
  label: args.label,
  logLevel: logLevelArg(args['log-level']),
  endpoints: [`http://${urlHost}:${port}`, `ws://${urlHost}:${port}`],
  dependencies: agentDependencies,
  modules: {
    connections: new ConnectionsModule({ autoAcceptConnections: true }),
    mediator: new MediatorModule({ autoAcceptMediationRequests: true, messageForwardingStrategy: args.forwarding }),
  },
})

// One HTTP server bound to the given (loopback) host carries both transports: POST / for DIDComm over HTTP and the
// WebSocket upgrade for DIDComm over WS, as the C# mediator does.
const wss = new WebSocketServer({ noServer: true })
const httpInbound = new HttpInboundTransport({ port })
let invitationJson
httpInbound.app.get('/invitation', (req, res) => {
  if (!invitationJson) return res.status(503).send('not ready')
  if (req.query.format === 'url') return res.type('text/plain').send(invitationJson.url)
  res.json(invitationJson)
})
httpInbound.app.listen = (listenPort) => {
  const server = http.createServer(httpInbound.app)
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  server.on('error', (error) => fail(`HTTP server error: ${error.message}`))
  server.listen(listenPort, host)
  return server
}
agent.registerInboundTransport(httpInbound)
agent.registerInboundTransport(new WsInboundTransport({ server: wss }))
agent.registerOutboundTransport(new HttpOutboundTransport())
agent.registerOutboundTransport(new WsOutboundTransport())

agent.events.on('MediationStateChanged', ({ payload }) => {
  emit('mediation', { state: payload.mediationRecord.state, connectionId: payload.mediationRecord.connectionId })
})
agent.events.on('ConnectionStateChanged', ({ payload }) => {
  emit('connection', { state: payload.connectionRecord.state, connectionId: payload.connectionRecord.id,
    theirLabel: payload.connectionRecord.theirLabel })
})

if (args.trace) traceMessages(agent)
await agent.initialize()
const oob = await agent.oob.createInvitation({ multiUseInvitation: true, label: args.label,
  handshakeProtocols: handshakeArg(args.handshake) })
const url = oob.outOfBandInvitation.toUrl({ domain: `http://${urlHost}:${port}/invitation` })
invitationJson = { url, invitation: oob.outOfBandInvitation.toJSON() }
emit('ready', { port, host, invitationUrl: url, forwarding: args.forwarding })

let stopping = false
async function stop(code) {
  if (stopping) return
  stopping = true
  try {
    await agent.shutdown()
  } catch (error) {
    process.stderr.write(`shutdown failed: ${error?.stack ?? error}\n`)
  }
  emit('exited', { code })
  process.stdout.write('', () => process.exit(code))
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
readCommands(async (command) => {
  if (command.cmd === 'exit') await stop(0)
  else emit('bad-command', { cmd: command.cmd, reason: 'unknown command' })
}, () => stop(0))
