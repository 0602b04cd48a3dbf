// Mediator-level checks with @credo-ts/core 0.5.17's own code, beside check.mjs (same protocol: a JSON array of
// requests on stdin, a JSON array of {ok, result} / {ok: false, error} on stdout, same order).
// Used by tests/Mediator.Api.Tests (Support/CredoModel.cs) on messages the running mediator produced.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const core = require('@credo-ts/core')
const { JsonTransformer, MessageValidator, DidKey, HandshakeProtocol } = core
const build = (p) => require(`@credo-ts/core/build/${p}`)
const { parseInvitationUrl } = build('utils/parseInvitation')
const { parseDidCommProtocolUri, supportsIncomingDidCommProtocolUri } = build('utils/messageType')
const { V1DiscloseMessage } = build('modules/discover-features/protocol/v1/messages')
const { V2DisclosuresMessage } = build('modules/discover-features/protocol/v2/messages')
const { TrustPingResponseMessage } = build('modules/connections/messages')

// What OutOfBandApi.receiveInvitationFromUrl reads before it acts: parseInvitationUrl (base64 oob JSON, class
// validation), the inline services (did:key recipient keys) and the handshake protocols Credo supports.
function parseInvitation({ url }) {
  const invitation = parseInvitationUrl(url)
  MessageValidator.validateSync(invitation)
  const supported = Object.values(HandshakeProtocol)
  return {
    id: invitation.id,
    type: invitation.type,
    label: invitation.label,
    handshakeProtocols: invitation.handshakeProtocols,
    // OutOfBandApi.getSupportedHandshakeProtocols: Credo's HandshakeProtocol values are 'https://didcomm.org/<p>/1.x'.
    supportedHandshakes: (invitation.handshakeProtocols ?? []).filter((p) =>
      supported.some((s) => supportsIncomingDidCommProtocolUri(parseDidCommProtocolUri(s.replace('.x', '.0')), parseDidCommProtocolUri(p)))),
    services: invitation.getInlineServices().map((s) => ({
      id: s.id,
      serviceEndpoint: s.serviceEndpoint,
      recipientKeys: s.recipientKeys.map((k) => DidKey.fromDid(k).key.publicKeyBase58),
      routingKeys: s.routingKeys ?? [],
    })),
  }
}

// V1 disclose / V2 disclosures / trust ping response as Credo's handlers deserialise and validate them.
function parseReply({ message }) {
  const type = message['@type']
  if (type.endsWith('/discover-features/1.0/disclose')) {
    const m = JsonTransformer.fromJSON(message, V1DiscloseMessage)
    MessageValidator.validateSync(m)
    return { threadId: m.threadId, protocols: m.protocols.map((p) => ({ pid: p.protocolId, roles: p.roles })) }
  }
  if (type.endsWith('/discover-features/2.0/disclosures')) {
    const m = JsonTransformer.fromJSON(message, V2DisclosuresMessage)
    MessageValidator.validateSync(m)
    return { threadId: m.threadId, disclosures: m.disclosures.map((d) => ({ type: d.type, id: d.id, roles: d.roles })) }
  }
  if (type.endsWith('/trust_ping/1.0/ping_response')) {
    const m = JsonTransformer.fromJSON(message, TrustPingResponseMessage)
    MessageValidator.validateSync(m)
    return { threadId: m.threadId }
  }
  throw new Error(`no Credo class for ${type} here`)
}

const ops = { parseInvitation, parseReply }

let input = ''
for await (const chunk of process.stdin) input += chunk
const requests = JSON.parse(input)
const answers = []
for (const request of requests) {
  try {
    const op = ops[request.op]
    if (!op) throw new Error(`unknown op ${request.op}`)
    answers.push({ ok: true, result: await op(request) })
  } catch (error) {
    answers.push({ ok: false, error: String(error?.message ?? error) })
  }
}
process.stdout.write(JSON.stringify(answers))
