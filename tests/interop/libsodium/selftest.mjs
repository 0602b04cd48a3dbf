// Quick self-check of envelope.mjs: `node selftest.mjs` (the C# tests are the real interop tests).
import assert from 'node:assert/strict'
import { createKeyPair, pack, unpack } from './envelope.mjs'

const alice = await createKeyPair()
const bob = await createKeyPair()
const carol = await createKeyPair()
const message = { '@type': 'https://didcomm.org/basicmessage/1.0/message', '@id': '1', content: 'hi' }

for (const sender of [alice, null]) {
  for (const options of [{}, { contentCipher: 'xchacha20poly1305_ietf', padded: true }]) {
    const jwe = await pack(message, [bob.verkey, carol.verkey], sender, options)
    for (const me of [bob, carol]) {
      const result = await unpack(JSON.stringify(jwe), [me])
      assert.deepEqual(result.plaintextMessage, message)
      assert.equal(result.recipientKey, me.verkey)
      assert.equal(result.senderKey, sender ? alice.verkey : undefined)
    }
    await assert.rejects(unpack(jwe, [alice]), { code: 'NoMatchingRecipient' })
    await assert.rejects(unpack({ ...jwe, tag: jwe.iv }, [bob]), { code: 'DecryptionFailed' })
  }
}
// An envelope a real Credo 0.5 agent (askar) wrote, with the recipient's seed (credo-ts' Credo 0.5 interop test vector).
const credoRecipient = await createKeyPair('226e10dad834f65c4e2b4bed1c29db06908f225eaa27ca7ebe2b74258fd6f1eb')
assert.equal(credoRecipient.verkey, 'BTfNVH1CK5G7oGFdpnAER3Zi4swrksbuEk1f3WMUxqhf')
const credoAnoncrypt = {
  protected:
    'eyJlbmMiOiJ4Y2hhY2hhMjBwb2x5MTMwNV9pZXRmIiwidHlwIjoiSldNLzEuMCIsImFsZyI6IkFub25jcnlwdCIsInJlY2lwaWVudHMiOlt7ImVuY3J5cHRlZF9rZXkiOiJZME9uTUNGZ2VIQUpEV1Y4NkVhWEpQWXN5RUVlWXVfZVNQX2ltX3VDMUFkYkpRalI4RkRTUFZxd1RrUU5GcDc1X2RwemZpX2pqcGlUVTZhQ2VobThTdzMwS3B5bmJHemNROWdsUnFxY1NnQSIsImhlYWRlciI6eyJraWQiOiJCVGZOVkgxQ0s1RzdvR0ZkcG5BRVIzWmk0c3dya3NidUVrMWYzV01VeHFoZiJ9fV19',
  ciphertext: 'GTzzcCSkcofiC2dH2LRChTxikb9Nn8ZAesGY6iJWzeLNQea5SgEqM0zw-cwVSbFlPSq5_w',
  iv: 'EF6uHk2lUSoayxV7',
  tag: 'op_xOrKdtJVhCa0u1hBJ7A',
}
const fromCredo = await unpack(credoAnoncrypt, [credoRecipient])
assert.deepEqual(fromCredo.plaintextMessage, { '@type': 'https://didcomm.org/another-protocol/1.0' })
console.log('envelope.mjs self-test passed')
