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
console.log('envelope.mjs self-test passed')
