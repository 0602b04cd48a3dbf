// Reads a JSON array of requests on stdin, answers a JSON array of results on stdout (same order).
// Every check uses @credo-ts/core 0.5.17's own classes and functions, so "ok" means Credo itself accepts the input.
// Credo's Wallet is stood in for by Node's Ed25519 (sign/verify only; nothing here encrypts).
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const core = require('@credo-ts/core')
const {
  JsonTransformer, JsonEncoder, TypedArrayEncoder, MessageValidator,
  DidExchangeRequestMessage, DidExchangeResponseMessage, ConnectionResponseMessage, Connection,
  ProblemReportMessage, TrustPingResponseMessage, Attachment, AttachmentData,
  Key, KeyType, DidKey, DidDocument, JwsService, getJwkFromKey, getKeyFromVerificationMethod,
  createPeerDidDocumentFromServices, parseMessageType, IndyAgentService, DidCommV1Service, isValidPeerDid,
} = core
const build = (p) => require(`@credo-ts/core/build/${p}`)
const { didDocumentJsonToNumAlgo1Did } = build('modules/dids/methods/peer/peerDidNumAlgo1')
const { didToNumAlgo2DidDocument, didDocumentToNumAlgo2Did } = build('modules/dids/methods/peer/peerDidNumAlgo2')
const { didToNumAlgo4DidDocument, didDocumentToNumAlgo4Did } = build('modules/dids/methods/peer/peerDidNumAlgo4')
const { unpackAndVerifySignatureDecorator, signData } = build('decorators/signature/SignatureDecoratorUtils')
const { convertToNewDidDocument } = build('modules/connections/services/helpers')
const { supportsIncomingMessageType } = build('utils/messageType')

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const privateKeys = new Map()

function keyFromSeed(seedHex) {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' })
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x
  const key = Key.fromPublicKey(Buffer.from(x, 'base64url'), KeyType.Ed25519)
  privateKeys.set(key.publicKeyBase58, privateKey)
  return key
}

const wallet = {
  async sign({ data, key }) {
    const privateKey = privateKeys.get(key.publicKeyBase58)
    if (!privateKey) throw new Error(`no private key for ${key.publicKeyBase58}`)
    return Buffer.from(sign(null, Buffer.from(data), privateKey))
  },
  async verify({ data, key, signature }) {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.publicKey).toString('base64url') }, format: 'jwk' })
    return verify(null, Buffer.from(data), publicKey, Buffer.from(signature))
  },
}
const agentContext = { wallet }
const jwsService = new JwsService()

const jwkResolver = ({ jws: { header } }) => {
  if (typeof header.kid !== 'string' || !header.kid.startsWith('did:key:')) throw new Error('JWS header kid must be a did:key DID.')
  return getJwkFromKey(DidKey.fromDid(header.kid).key)
}

// Credo's DidCommDocumentService.resolveServicesFromDid, for a document in hand.
function didcommServices(didDocument) {
  return didDocument.didCommServices.map((service) => {
    if (service.type === IndyAgentService.type) {
      return { id: service.id, serviceEndpoint: service.serviceEndpoint, recipientKeys: service.recipientKeys, routingKeys: service.routingKeys ?? [] }
    }
    const recipientKeys = service.recipientKeys.map((ref) =>
      ref.startsWith('did:key:') ? DidKey.fromDid(ref).key.publicKeyBase58
        : getKeyFromVerificationMethod(didDocument.dereferenceKey(ref, ['authentication', 'keyAgreement'])).publicKeyBase58)
    const routingKeys = (service.routingKeys ?? []).map((ref) => DidKey.fromDid(ref).key.publicKeyBase58)
    return { id: service.id, serviceEndpoint: service.serviceEndpoint, recipientKeys, routingKeys }
  })
}

function resolvePeerDid(did) {
  if (did.startsWith('did:peer:2')) return didToNumAlgo2DidDocument(did)
  if (did.startsWith('did:peer:4')) return didToNumAlgo4DidDocument(did)
  throw new Error(`cannot resolve ${did} without a document`)
}

// DidExchangeProtocol.extractAttachedDidDocument / extractResolvableDidDocument, with Credo's own parts.
async function verifyDidExchangeResponse({ message, invitationVerkeys }) {
  const msg = JsonTransformer.fromJSON(message, DidExchangeResponseMessage)
  MessageValidator.validateSync(msg)
  const result = { type: msg.type, threadId: msg.threadId, did: msg.did, validPeerDid: isValidPeerDid(msg.did) }
  const attachment = msg.didDoc ?? msg.didRotate
  if (!attachment?.data.jws || !attachment.data.base64) throw new Error('signed attachment missing')
  const payload = attachment.data.base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  const { isValid, signerKeys } = await jwsService.verifyJws(agentContext, { jws: { ...attachment.data.jws, payload }, jwkResolver })
  result.jwsValid = isValid
  result.signers = signerKeys.map((k) => k.publicKeyBase58)
  let didDocument
  if (msg.didDoc) {
    const json = JsonEncoder.fromBase64(attachment.data.base64)
    result.numAlgo1Matches = didDocumentJsonToNumAlgo1Did(json) === msg.did
    didDocument = JsonTransformer.fromJSON(json, DidDocument)
    const authKeys = (didDocument.authentication ?? []).map((a) =>
      getKeyFromVerificationMethod(typeof a === 'string' ? didDocument.dereferenceVerificationMethod(a) : a).publicKeyBase58)
    result.signersAccepted = signerKeys.every((k) => authKeys.concat(invitationVerkeys).includes(k.publicKeyBase58))
  } else {
    result.rotatedDidMatches = TypedArrayEncoder.fromBase64(payload).toString() === msg.did
    result.signersAccepted = signerKeys.every((k) => invitationVerkeys.includes(k.publicKeyBase58))
    didDocument = resolvePeerDid(msg.did)
  }
  result.services = didcommServices(didDocument)
  return result
}

// ConnectionService.processResponse, with Credo's own parts.
async function verifyConnectionResponse({ message, invitationVerkey }) {
  const msg = JsonTransformer.fromJSON(message, ConnectionResponseMessage)
  MessageValidator.validateSync(msg)
  const connectionJson = await unpackAndVerifySignatureDecorator(msg.connectionSig, wallet)
  const connection = JsonTransformer.fromJSON(connectionJson, Connection)
  const didDocument = convertToNewDidDocument(connection.didDoc)
  return {
    threadId: msg.threadId,
    signerIsInvitationKey: msg.connectionSig.signer === invitationVerkey,
    did: connection.did,
    peerDid: didDocument.id,
    services: didcommServices(didDocument),
  }
}

function parseMessage({ message, expectedType }) {
  const incoming = parseMessageType(message['@type'])
  const supported = supportsIncomingMessageType(incoming, parseMessageType(expectedType))
  let threadId, description
  if (incoming.messageName === 'problem-report') {
    const pr = JsonTransformer.fromJSON(message, ProblemReportMessage)
    MessageValidator.validateSync(pr)
    threadId = pr.threadId
    description = pr.description
  } else if (incoming.messageName === 'ping_response') {
    const r = JsonTransformer.fromJSON(message, TrustPingResponseMessage)
    MessageValidator.validateSync(r)
    threadId = r.threadId
  }
  return { supported, protocolUri: incoming.protocolUri, messageName: incoming.messageName, threadId, description }
}

// DidExchangeProtocol.createRequest for a did:peer:1, with Credo's own parts.
async function createDidExchangeRequest({ seed, endpoint, label, parentThreadId }) {
  const key = keyFromSeed(seed)
  const built = createPeerDidDocumentFromServices([{ id: '#inline-0', serviceEndpoint: endpoint, recipientKeys: [key], routingKeys: [] }])
  const did = didDocumentJsonToNumAlgo1Did(built.toJSON())
  const didDocument = JsonTransformer.fromJSON({ ...built.toJSON(), id: did }, DidDocument)
  const msg = new DidExchangeRequestMessage({ label, parentThreadId, did })
  const data = didDocument.toJSON()
  const attachment = new Attachment({ mimeType: 'application/json', data: new AttachmentData({ base64: JsonEncoder.toBase64(data) }) })
  const jws = await jwsService.createJws(agentContext, {
    payload: JsonEncoder.toBuffer(data), key, header: { kid: new DidKey(key).did },
    protectedHeaderOptions: { alg: 'EdDSA', jwk: getJwkFromKey(key) },
  })
  attachment.addJws(jws)
  msg.didDoc = attachment
  return { message: msg.toJSON(), verkey: key.publicKeyBase58 }
}

async function createConnectionSig({ seed, data }) {
  const key = keyFromSeed(seed)
  return { decorator: JsonTransformer.toJSON(await signData(data, wallet, key.publicKeyBase58)), verkey: key.publicKeyBase58 }
}

function encodePeerDids({ recipientVerkey, routingVerkeys, endpoint }) {
  const doc = createPeerDidDocumentFromServices([{
    id: '#inline-0', serviceEndpoint: endpoint,
    recipientKeys: [Key.fromPublicKeyBase58(recipientVerkey, KeyType.Ed25519)],
    routingKeys: routingVerkeys.map((v) => Key.fromPublicKeyBase58(v, KeyType.Ed25519)),
  }])
  return {
    numAlgo1: didDocumentJsonToNumAlgo1Did(doc.toJSON()),
    numAlgo2: didDocumentToNumAlgo2Did(doc),
    numAlgo4: didDocumentToNumAlgo4Did(doc),
  }
}

const ops = { verifyDidExchangeResponse, verifyConnectionResponse, parseMessage, createDidExchangeRequest, createConnectionSig, encodePeerDids }

let input = ''
for await (const chunk of process.stdin) input += chunk
const results = []
for (const request of JSON.parse(input)) {
  try {
    const op = ops[request.op]
    if (!op) throw new Error(`unknown op ${request.op}`)
    results.push({ ok: true, result: await op(request) })
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error) })
  }
}
process.stdout.write(JSON.stringify(results))
