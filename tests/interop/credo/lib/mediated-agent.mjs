// Builds a Credo agent that uses a mediator (MediationRecipientModule), with the transport and pickup events that
// both recipient.mjs and sender.mjs report as JSON lines.
import credo from '@credo-ts/core'
import credoNode from '@credo-ts/node'
import { emit, createAgent } from './common.mjs'

const { MediationRecipientModule, MediatorPickupStrategy, ConnectionsModule, HttpOutboundTransport,
  WsOutboundTransport } = credo
const { agentDependencies } = credoNode

export const pickupStrategies = {
  live: MediatorPickupStrategy.PickUpV2LiveMode,
  poll: MediatorPickupStrategy.PickUpV2,
  'poll-v1': MediatorPickupStrategy.PickUpV1,
  implicit: MediatorPickupStrategy.Implicit,
  // No strategy configured: Credo asks the mediator (discover-features 1.0) and polls with pickup 2.0 if disclosed.
  auto: undefined,
}

export function createMediatedAgent({ label, logLevel, mediatorInvitationUrl, pickup, pollIntervalMs, batchSize }) {
  const agent = createAgent({
    label,
    logLevel,
    dependencies: agentDependencies,
    modules: {
      connections: new ConnectionsModule({ autoAcceptConnections: true }),
      mediationRecipient: new MediationRecipientModule({
        mediatorInvitationUrl,
        mediatorPickupStrategy: pickupStrategies[pickup],
        mediatorPollingInterval: pollIntervalMs,
        maximumMessagePickup: batchSize,
      }),
    },
  })
  agent.registerOutboundTransport(new HttpOutboundTransport())
  agent.registerOutboundTransport(new WsOutboundTransport())

  agent.events.on('OutboundWebSocketOpenedEvent', ({ payload }) => emit('ws-opened', { connectionId: payload.connectionId }))
  agent.events.on('OutboundWebSocketClosedEvent', ({ payload }) => emit('ws-closed', { connectionId: payload.connectionId }))
  agent.events.on('MessagePickupCompleted', ({ payload }) => emit('pickup-completed', { connectionId: payload.connection.id }))
  agent.events.on('MediationStateChanged', ({ payload }) => emit('mediation', { state: payload.mediationRecord.state }))
  agent.events.on('ConnectionStateChanged', ({ payload }) => {
    emit('connection', { state: payload.connectionRecord.state, connectionId: payload.connectionRecord.id,
      theirLabel: payload.connectionRecord.theirLabel })
  })
  // A pickup 2.0 `status` carrying live_delivery=true is the mediator's answer to live-delivery-change: live mode is on.
  agent.events.on('AgentMessageProcessed', ({ payload }) => {
    const message = payload.message
    if (message?.type === 'https://didcomm.org/messagepickup/2.0/status' && message.liveDelivery !== undefined) {
      emit('live-delivery', { liveDelivery: message.liveDelivery, messageCount: message.messageCount })
    }
  })
  return agent
}
