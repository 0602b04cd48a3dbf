// model-check.mjs answers from this package's @credo-ts/core: one request of each kind it builds or reads itself,
// an unknown op and a rejected message (the C# side, tests/Mediator.Didcomm.Tests, checks our messages with it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../model-check.mjs', import.meta.url))
const run = (requests) => JSON.parse(execFileSync(process.execPath, [script], { input: JSON.stringify(requests), timeout: 60000 }))

test('model-check.mjs: answers in order, builds with Credo, reports unknown ops and invalid messages', () => {
  const seed = '11'.repeat(32)
  const [request, sig, dids, report, unknown, invalid] = run([
    { op: 'createDidExchangeRequest', seed, endpoint: 'https://example.org/a', label: 'a', parentThreadId: 'inv-1' },
    { op: 'createConnectionSig', seed, data: { DID: 'abc' } },
    { op: 'encodePeerDids', recipientVerkey: '8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K', routingVerkeys: [], endpoint: 'https://example.org/a' },
    { op: 'parseMessage', expectedType: 'https://didcomm.org/notification/1.0/problem-report',
      message: { '@type': 'https://didcomm.org/notification/1.0/problem-report', '@id': 'problem-0001', '~thread': { thid: 'thread-0001' }, description: { en: 'x', code: 'y' } } },
    { op: 'nope' },
    { op: 'verifyDidExchangeResponse', message: { '@type': 'https://didcomm.org/didexchange/1.1/response' }, invitationVerkeys: [] },
  ])
  assert.equal(request.ok, true, request.error)
  assert.match(request.result.message.did, /^did:peer:1z/)
  assert.equal(request.result.message['~thread'].pthid, 'inv-1')
  assert.ok(request.result.message['did_doc~attach'].data.jws)
  assert.equal(sig.ok, true, sig.error)
  assert.equal(sig.result.verkey, request.result.verkey)
  assert.equal(sig.result.decorator['@type'], 'https://didcomm.org/signature/1.0/ed25519Sha512_single')
  assert.equal(dids.ok, true, dids.error)
  assert.match(dids.result.numAlgo1, /^did:peer:1z/)
  assert.match(dids.result.numAlgo2, /^did:peer:2\.V/)
  assert.match(dids.result.numAlgo4.longFormDid, new RegExp(`^${dids.result.numAlgo4.shortFormDid}:z`))
  assert.equal(report.ok, true, report.error)
  assert.deepEqual([report.result.supported, report.result.threadId, report.result.description.code], [true, 'thread-0001', 'y'])
  assert.deepEqual(unknown, { ok: false, error: 'unknown op nope' })
  assert.equal(invalid.ok, false)
})
