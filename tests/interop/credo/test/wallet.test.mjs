// Unit tests of the libsodium Wallet and the in-memory StorageService that stand in for askar.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import sodiumModule from 'libsodium-wrappers'
import credo from '@credo-ts/core'
import { SodiumWallet } from '../lib/sodium-wallet.mjs'
import { MemoryStorageService } from '../lib/memory-storage.mjs'

const { KeyType, TypedArrayEncoder, WalletError, WalletNotFoundError, WalletKeyExistsError, BasicMessageRecord,
  RecordDuplicateError, RecordNotFoundError } = credo
await sodiumModule.ready
const sodium = sodiumModule

let walletCounter = 0
async function openWallet() {
  const wallet = new SodiumWallet()
  await wallet.createAndOpen({ id: `test-${process.pid}-${walletCounter++}`, key: 'k' })
  return wallet
}

const b64u = (bytes) => Buffer.from(bytes).toString('base64url')

test('open of an unknown wallet throws WalletNotFoundError; keys survive close/open', async () => {
  const wallet = new SodiumWallet()
  await assert.rejects(wallet.open({ id: 'nope', key: 'k' }), WalletNotFoundError)
  await wallet.createAndOpen({ id: 'reopen', key: 'k' })
  const key = await wallet.createKey({ keyType: KeyType.Ed25519 })
  await wallet.close()
  assert.equal(wallet.isInitialized, false)
  await wallet.open({ id: 'reopen', key: 'k' })
  const signature = await wallet.sign({ data: Buffer.from('x'), key })
  assert.equal(await wallet.verify({ data: Buffer.from('x'), key, signature }), true)
  await wallet.delete()
  assert.equal(wallet.isProvisioned, false)
})

test('createKey from a private key is deterministic, duplicate key is rejected, other key types refused', async () => {
  const wallet = await openWallet()
  const privateKey = credo.Buffer.alloc(32, 7) // Credo checks keys with its own Buffer class
  const key = await wallet.createKey({ keyType: KeyType.Ed25519, privateKey })
  const expected = sodium.crypto_sign_seed_keypair(new Uint8Array(privateKey)).publicKey
  assert.equal(key.publicKeyBase58, TypedArrayEncoder.toBase58(expected))
  await assert.rejects(wallet.createKey({ keyType: KeyType.Ed25519, privateKey }), WalletKeyExistsError)
  await assert.rejects(wallet.createKey({ keyType: KeyType.X25519 }), WalletError)
  await assert.rejects(wallet.createKey({ keyType: KeyType.Ed25519, privateKey: credo.Buffer.alloc(5) }), WalletError)
})

test('sign / verify: Ed25519 detached signature, wrong data fails', async () => {
  const wallet = await openWallet()
  const key = await wallet.createKey({ keyType: KeyType.Ed25519 })
  const data = Buffer.from('hello')
  const signature = await wallet.sign({ data, key })
  assert.equal(signature.length, 64)
  assert.equal(sodium.crypto_sign_verify_detached(signature, data, key.publicKey), true)
  assert.equal(await wallet.verify({ data, key, signature }), true)
  assert.equal(await wallet.verify({ data: Buffer.from('hellO'), key, signature }), false)
})

test('authcrypt pack to several recipients: each unpacks, with sender and recipient keys; envelope has askar shape', async () => {
  const alice = await openWallet()
  const bob = await openWallet()
  const carol = await openWallet()
  const aliceKey = await alice.createKey({ keyType: KeyType.Ed25519 })
  const bobKey = await bob.createKey({ keyType: KeyType.Ed25519 })
  const carolKey = await carol.createKey({ keyType: KeyType.Ed25519 })
  const payload = { '@type': 'https://didcomm.org/basicmessage/1.0/message', '@id': '1', content: 'hi ✓' }
  const envelope = await alice.pack(payload, [bobKey.publicKeyBase58, carolKey.publicKeyBase58], aliceKey.publicKeyBase58)
  assert.deepEqual(Object.keys(envelope).sort(), ['ciphertext', 'iv', 'protected', 'tag'])
  assert.equal(Buffer.from(envelope.iv, 'base64url').length, 12)
  const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString())
  assert.deepEqual({ enc: header.enc, typ: header.typ, alg: header.alg },
    { enc: 'xchacha20poly1305_ietf', typ: 'JWM/1.0', alg: 'Authcrypt' })
  assert.deepEqual(header.recipients.map((r) => r.header.kid), [bobKey.publicKeyBase58, carolKey.publicKeyBase58])
  assert.equal(Buffer.from(header.recipients[0].header.iv, 'base64url').length, 24)
  for (const [wallet, key] of [[bob, bobKey], [carol, carolKey]]) {
    const unpacked = await wallet.unpack(envelope)
    assert.deepEqual(unpacked.plaintextMessage, payload)
    assert.equal(unpacked.senderKey, aliceKey.publicKeyBase58)
    assert.equal(unpacked.recipientKey, key.publicKeyBase58)
  }
  await assert.rejects(alice.unpack(envelope), /No corresponding recipient key/)
})

test('anoncrypt pack: no sender, unpacks without senderKey', async () => {
  const bob = await openWallet()
  const bobKey = await bob.createKey({ keyType: KeyType.Ed25519 })
  const envelope = await bob.pack({ a: 1 }, [bobKey.publicKeyBase58])
  const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString())
  assert.equal(header.alg, 'Anoncrypt')
  assert.deepEqual(Object.keys(header.recipients[0].header), ['kid'])
  const unpacked = await bob.unpack(envelope)
  assert.deepEqual(unpacked.plaintextMessage, { a: 1 })
  assert.equal(unpacked.senderKey, undefined)
})

test('tampered tag, ciphertext or protected header is rejected with WalletError', async () => {
  const bob = await openWallet()
  const bobKey = await bob.createKey({ keyType: KeyType.Ed25519 })
  const envelope = await bob.pack({ a: 1 }, [bobKey.publicKeyBase58], bobKey.publicKeyBase58)
  const flip = (s) => { const b = Buffer.from(s, 'base64url'); b[0] ^= 1; return b64u(b) }
  await assert.rejects(bob.unpack({ ...envelope, tag: flip(envelope.tag) }), WalletError)
  await assert.rejects(bob.unpack({ ...envelope, ciphertext: flip(envelope.ciphertext) }), WalletError)
  const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString())
  header.typ = 'JWM/1.1'
  await assert.rejects(bob.unpack({ ...envelope, protected: b64u(Buffer.from(JSON.stringify(header))) }), WalletError)
  await assert.rejects(bob.unpack({ ...envelope, protected: '!!' }), WalletError)
})

test('a 24-byte iv body (XChaCha20-Poly1305) and padded base64 are accepted on unpack', async () => {
  const bob = await openWallet()
  const bobKey = await bob.createKey({ keyType: KeyType.Ed25519 })
  const cek = sodium.crypto_aead_xchacha20poly1305_ietf_keygen()
  const recipientX = sodium.crypto_sign_ed25519_pk_to_curve25519(bobKey.publicKey)
  const protectedB64 = Buffer.from(JSON.stringify({ enc: 'xchacha20poly1305_ietf', typ: 'JWM/1.0', alg: 'Anoncrypt',
    recipients: [{ encrypted_key: b64u(sodium.crypto_box_seal(cek, recipientX)), header: { kid: bobKey.publicKeyBase58 } }] }))
    .toString('base64') // padded, standard alphabet
  const iv = sodium.randombytes_buf(24)
  const { ciphertext, mac } = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
    sodium.from_string('{"x":2}'), sodium.from_string(protectedB64), null, iv, cek)
  const unpacked = await bob.unpack({ protected: protectedB64, iv: b64u(iv), ciphertext: b64u(ciphertext), tag: b64u(mac) })
  assert.deepEqual(unpacked.plaintextMessage, { x: 2 })
})

test('memory storage: save/get/update/delete, duplicate and missing records, tag queries', async () => {
  const storage = new MemoryStorageService()
  const ctx = {}
  const make = (n, tags) => new BasicMessageRecord({ connectionId: 'c', role: 'sender', content: String(n),
    sentTime: new Date().toISOString(), tags })
  const a = make(1, { color: 'red', flags: ['x', 'y'], on: true })
  const b = make(2, { color: 'blue', flags: ['y'], on: false })
  await storage.save(ctx, a)
  await storage.save(ctx, b)
  await assert.rejects(storage.save(ctx, a), RecordDuplicateError)
  const fetched = await storage.getById(ctx, BasicMessageRecord, a.id)
  assert.equal(fetched.content, '1')
  assert.notEqual(fetched, a)
  const ids = async (q, o) => (await storage.findByQuery(ctx, BasicMessageRecord, q, o)).map((r) => Number(r.content)).sort()
  assert.deepEqual(await ids({ color: 'red' }), [1])
  assert.deepEqual(await ids({ flags: ['y'] }), [1, 2])
  assert.deepEqual(await ids({ flags: ['x', 'y'] }), [1])
  assert.deepEqual(await ids({ on: false }), [2])
  assert.deepEqual(await ids({ color: undefined }), [1, 2])
  assert.deepEqual(await ids({ $or: [{ color: 'red' }, { color: 'blue' }] }), [1, 2])
  assert.deepEqual(await ids({ $not: { color: 'red' } }), [2])
  assert.deepEqual(await ids({ $and: [{ flags: ['y'] }, { on: true }] }), [1])
  assert.equal((await storage.findByQuery(ctx, BasicMessageRecord, {}, { limit: 1 })).length, 1)
  fetched.content = '3'
  fetched.setTag('color', 'green')
  await storage.update(ctx, fetched)
  assert.deepEqual(await ids({ color: 'green' }), [3])
  await storage.delete(ctx, fetched)
  await assert.rejects(storage.getById(ctx, BasicMessageRecord, a.id), RecordNotFoundError)
  await assert.rejects(storage.deleteById(ctx, BasicMessageRecord, a.id), RecordNotFoundError)
  assert.equal((await storage.getAll(ctx, BasicMessageRecord)).length, 1)
})
