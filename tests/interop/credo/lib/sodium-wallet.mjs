// Credo 0.5 `Wallet` implemented over libsodium-wrappers (askar cannot be installed here).
// Keys live in process memory; a wallet survives close()/open() within the same process so an agent can be
// shut down and initialised again (the recipient's offline/online cycle), but nothing is written to disk.
import sodiumModule from 'libsodium-wrappers'
import credo from '@credo-ts/core'
import { packEnvelope, unpackEnvelope, readProtectedHeader } from './envelope.mjs'

const { Key, KeyType, TypedArrayEncoder, Buffer, WalletError, WalletNotFoundError, WalletKeyExistsError,
  WalletDuplicateError, isValidPrivateKey, isValidSeed } = credo

await sodiumModule.ready
const sodium = sodiumModule

// walletId -> { keys: Map<base58 public key, { keyType, publicKey, secretKey }> }
const wallets = new Map()

export class SodiumWallet {
  #walletId = undefined
  #state = undefined

  get isInitialized() { return this.#state !== undefined }
  get isProvisioned() { return this.#walletId !== undefined && wallets.has(this.#walletId) }
  get supportedKeyTypes() { return [KeyType.Ed25519] }

  #requireOpen() {
    if (!this.#state) throw new WalletError('Wallet is not open')
    return this.#state
  }

  async create(walletConfig) {
    if (wallets.has(walletConfig.id)) {
      throw new WalletDuplicateError(`Wallet '${walletConfig.id}' already exists`, { walletType: 'SodiumWallet' })
    }
    wallets.set(walletConfig.id, { keys: new Map() })
    this.#walletId = walletConfig.id
  }

  async createAndOpen(walletConfig) {
    await this.create(walletConfig)
    await this.open(walletConfig)
  }

  async open(walletConfig) {
    const state = wallets.get(walletConfig.id)
    if (!state) {
      throw new WalletNotFoundError(`Wallet '${walletConfig.id}' not found`, { walletType: 'SodiumWallet' })
    }
    this.#walletId = walletConfig.id
    this.#state = state
  }

  async rotateKey() { throw new WalletError('rotateKey is not supported by SodiumWallet') }
  async export() { throw new WalletError('export is not supported by SodiumWallet') }
  async import() { throw new WalletError('import is not supported by SodiumWallet') }

  async close() {
    if (!this.#state) throw new WalletError('Wallet is not open')
    this.#state = undefined
  }

  async delete() {
    if (this.#walletId !== undefined) wallets.delete(this.#walletId)
    this.#state = undefined
    this.#walletId = undefined
  }

  async dispose() {
    if (this.#state) await this.close()
  }

  async createKey({ keyType, seed, privateKey }) {
    const state = this.#requireOpen()
    if (keyType !== KeyType.Ed25519) throw new WalletError(`Unsupported key type: '${keyType}'`)
    if (seed && privateKey) throw new WalletError('Only one of seed and privateKey can be set')
    if (seed && !isValidSeed(seed, keyType)) throw new WalletError('Invalid seed provided')
    if (privateKey && !isValidPrivateKey(privateKey, keyType)) throw new WalletError('Invalid private key provided')
    // For Ed25519 both a seed and a "private key" are the 32-byte seed of the key pair.
    const material = privateKey ?? seed?.subarray(0, 32)
    const pair = material
      ? sodium.crypto_sign_seed_keypair(new Uint8Array(material))
      : sodium.crypto_sign_keypair()
    const publicKeyBase58 = TypedArrayEncoder.toBase58(pair.publicKey)
    if (state.keys.has(publicKeyBase58)) {
      throw new WalletKeyExistsError(`Key '${publicKeyBase58}' already exists`)
    }
    state.keys.set(publicKeyBase58, { keyType, publicKey: pair.publicKey, secretKey: pair.privateKey })
    return Key.fromPublicKey(Buffer.from(pair.publicKey), KeyType.Ed25519)
  }

  #secretFor(publicKeyBase58) {
    const entry = this.#requireOpen().keys.get(publicKeyBase58)
    return entry
  }

  async sign({ data, key }) {
    if (!TypedArrayEncoder.isTypedArray(data)) throw new WalletError('Signing multiple messages is not supported')
    if (key.keyType !== KeyType.Ed25519) throw new WalletError(`Unsupported key type for signing: '${key.keyType}'`)
    const entry = this.#secretFor(key.publicKeyBase58)
    if (!entry) throw new WalletError(`Key '${key.publicKeyBase58}' not found in wallet`)
    return Buffer.from(sodium.crypto_sign_detached(new Uint8Array(data), entry.secretKey))
  }

  async verify({ data, key, signature }) {
    if (!TypedArrayEncoder.isTypedArray(data)) throw new WalletError('Verifying multiple messages is not supported')
    if (key.keyType !== KeyType.Ed25519) throw new WalletError(`Unsupported key type for verifying: '${key.keyType}'`)
    try {
      return sodium.crypto_sign_verify_detached(new Uint8Array(signature), new Uint8Array(data), key.publicKey)
    } catch {
      return false
    }
  }

  async pack(payload, recipientKeys, senderVerkey) {
    let sender
    if (senderVerkey) {
      const entry = this.#secretFor(senderVerkey)
      if (!entry) throw new WalletError('Sender key not found')
      sender = { publicKey: entry.publicKey, secretKey: entry.secretKey }
    }
    try {
      return packEnvelope(sodium, payload, recipientKeys, sender)
    } catch (error) {
      throw new WalletError(`Pack failed: ${error.message}`, { cause: error })
    }
  }

  async unpack(encryptedMessage) {
    let header
    try {
      header = readProtectedHeader(encryptedMessage)
    } catch (error) {
      throw new WalletError(`Invalid envelope: ${error.message}`, { cause: error })
    }
    for (const recipient of header.recipients) {
      const kid = recipient?.header?.kid
      const entry = typeof kid === 'string' ? this.#secretFor(kid) : undefined
      if (!entry) continue
      try {
        const result = unpackEnvelope(sodium, encryptedMessage, { publicKey: entry.publicKey, secretKey: entry.secretKey })
        return {
          plaintextMessage: JSON.parse(Buffer.from(result.plaintext).toString('utf8')),
          senderKey: result.senderKey,
          recipientKey: result.recipientKey,
        }
      } catch (error) {
        throw new WalletError(`Unpack failed: ${error.message}`, { cause: error })
      }
    }
    throw new WalletError('No corresponding recipient key found')
  }

  async generateNonce() {
    // 80-bit decimal nonce, as askar's wallet produces for AnonCreds.
    const bytes = sodium.randombytes_buf(10)
    let value = 0n
    for (const b of bytes) value = (value << 8n) | BigInt(b)
    return value.toString()
  }

  getRandomValues(length) {
    return sodium.randombytes_buf(length)
  }

  async generateWalletKey() {
    return TypedArrayEncoder.toBase58(sodium.randombytes_buf(32))
  }
}
