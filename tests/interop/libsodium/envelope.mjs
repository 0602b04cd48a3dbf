// RFC 0019 (DIDComm v1) encryption envelopes over libsodium-wrappers, written from the RFC and from the format that
// Credo 0.5's askar wallet reads and writes. It is the independent third-party side of PickupAspire's envelope interop
// tests, and can back a Credo `Wallet` implementation in tests (askar's native library cannot be installed here).
//
//   pack(message, recipientVerkeys, senderKeyPair | null, options?) -> JWE object
//   unpack(jwe, keyPairs) -> { plaintext, plaintextMessage, recipientKey, senderKey }
//
// Key pairs are { publicKey: Uint8Array(32), privateKey: Uint8Array(64) } (libsodium's Ed25519 layout); verkeys are
// base58 Ed25519 public keys. Content: ChaCha20-Poly1305 IETF with a 12-byte IV (as askar writes, under the
// "xchacha20poly1305_ietf" label), or with options.contentCipher = 'xchacha20poly1305_ietf' XChaCha20-Poly1305 with a
// 24-byte IV (as indy-sdk wrote); unpack takes either, by IV length.
import sodiumModule from 'libsodium-wrappers'
import bs58 from 'bs58'

const sodium = sodiumModule

export const ENC = 'xchacha20poly1305_ietf'
export const TYP = 'JWM/1.0'

export class EnvelopeError extends Error {
  constructor(code, message) {
    super(message)
    this.name = 'EnvelopeError'
    this.code = code
  }
}

/** Resolves once libsodium's WebAssembly is loaded; every function below awaits it too. */
export async function ready() {
  await sodium.ready
}

/** An Ed25519 key pair, random or from a 32-byte seed; adds its base58 verkey. */
export async function createKeyPair(seed) {
  await sodium.ready
  const pair = seed ? sodium.crypto_sign_seed_keypair(toBytes(seed)) : sodium.crypto_sign_keypair()
  return { publicKey: pair.publicKey, privateKey: pair.privateKey, verkey: bs58.encode(pair.publicKey) }
}

export function verkeyOf(keyPair) {
  return bs58.encode(keyPair.publicKey)
}

/**
 * Packs a message for one or more recipients. Authcrypt when senderKeyPair is given, anoncrypt when it is null.
 * message: an object (JSON-serialised), a string, or bytes.
 * options.contentCipher: 'chacha20poly1305_ietf' (default, 12-byte IV) | 'xchacha20poly1305_ietf' (24-byte IV).
 * options.padded: write padded base64url (as indy-sdk did); default unpadded (as askar does).
 */
export async function pack(message, recipientVerkeys, senderKeyPair = null, options = {}) {
  await sodium.ready
  if (!Array.isArray(recipientVerkeys) || recipientVerkeys.length === 0) {
    throw new EnvelopeError('NoRecipients', 'At least one recipient verkey is needed')
  }
  const b64 = options.padded ? encodePadded : encode
  const payload = toPayloadBytes(message)
  const cek = sodium.crypto_aead_chacha20poly1305_ietf_keygen()

  let senderX25519Secret
  let senderVerkey
  if (senderKeyPair) {
    senderX25519Secret = sodium.crypto_sign_ed25519_sk_to_curve25519(senderKeyPair.privateKey)
    senderVerkey = verkeyOf(senderKeyPair)
  }

  const recipients = recipientVerkeys.map((verkey) => {
    const recipientX25519 = sodium.crypto_sign_ed25519_pk_to_curve25519(decodeVerkey(verkey, 'InvalidRecipientKey'))
    if (!senderKeyPair) {
      return { encrypted_key: b64(sodium.crypto_box_seal(cek, recipientX25519)), header: { kid: verkey } }
    }
    const nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES)
    return {
      encrypted_key: b64(sodium.crypto_box_easy(cek, nonce, recipientX25519, senderX25519Secret)),
      header: {
        kid: verkey,
        sender: b64(sodium.crypto_box_seal(sodium.from_string(senderVerkey), recipientX25519)),
        iv: b64(nonce),
      },
    }
  })

  const protectedHeader = b64(
    sodium.from_string(
      JSON.stringify({ enc: ENC, typ: TYP, alg: senderKeyPair ? 'Authcrypt' : 'Anoncrypt', recipients })
    )
  )
  const aad = sodium.from_string(protectedHeader)

  const extended = options.contentCipher === 'xchacha20poly1305_ietf'
  const iv = sodium.randombytes_buf(
    extended ? sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES : sodium.crypto_aead_chacha20poly1305_ietf_NPUBBYTES
  )
  const sealed = extended
    ? sodium.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(payload, aad, null, iv, cek)
    : sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(payload, aad, null, iv, cek)
  sodium.memzero(cek)

  return { protected: protectedHeader, iv: b64(iv), ciphertext: b64(sealed.ciphertext), tag: b64(sealed.mac) }
}

/**
 * Unpacks an envelope (object, JSON string or UTF-8 bytes) with the first of our key pairs that it is addressed to.
 * keyPairs: an array of key pairs, a Map verkey -> key pair, or a function verkey -> key pair | undefined.
 */
export async function unpack(jwe, keyPairs) {
  await sodium.ready
  const envelope = parseJson(jwe, 'NotJson', 'The envelope is not JSON')
  for (const field of ['protected', 'iv', 'ciphertext', 'tag']) {
    if (typeof envelope?.[field] !== 'string') {
      throw new EnvelopeError('MissingField', `The envelope has no string '${field}'`)
    }
  }
  const header = parseJson(
    sodium.to_string(decode(envelope.protected, 'protected')),
    'NotJson',
    'The protected header is not JSON'
  )
  if (header.alg !== 'Authcrypt' && header.alg !== 'Anoncrypt') {
    throw new EnvelopeError('UnsupportedAlgorithm', `Unsupported alg '${header.alg}'`)
  }
  if (!Array.isArray(header.recipients)) {
    throw new EnvelopeError('MissingField', "The protected header has no 'recipients' array")
  }

  const lookup = toLookup(keyPairs)
  let recipient
  let ourKeyPair
  for (const candidate of header.recipients) {
    const kid = candidate?.header?.kid
    const found = typeof kid === 'string' ? lookup(kid) : undefined
    if (found) {
      recipient = candidate
      ourKeyPair = found
      break
    }
  }
  if (!recipient) {
    throw new EnvelopeError('NoMatchingRecipient', 'None of the recipient kids is one of our keys')
  }

  const ourX25519Public = sodium.crypto_sign_ed25519_pk_to_curve25519(ourKeyPair.publicKey)
  const ourX25519Secret = sodium.crypto_sign_ed25519_sk_to_curve25519(ourKeyPair.privateKey)
  const encryptedKey = decode(recipient.encrypted_key, 'encrypted_key')
  const { sender, iv: boxNonce } = recipient.header

  let cek
  let senderKey
  if (header.alg === 'Authcrypt') {
    if (typeof sender !== 'string' || typeof boxNonce !== 'string') {
      throw new EnvelopeError('InvalidRecipientHeader', 'Authcrypt needs header.sender and header.iv')
    }
    senderKey = sodium.to_string(
      attempt('KeyUnwrapFailed', () =>
        sodium.crypto_box_seal_open(decode(sender, 'sender'), ourX25519Public, ourX25519Secret)
      )
    )
    const senderX25519 = attempt('SenderKeyInvalid', () =>
      sodium.crypto_sign_ed25519_pk_to_curve25519(decodeVerkey(senderKey, 'SenderKeyInvalid'))
    )
    cek = attempt('KeyUnwrapFailed', () =>
      sodium.crypto_box_open_easy(encryptedKey, decode(boxNonce, 'iv'), senderX25519, ourX25519Secret)
    )
  } else {
    if (sender !== undefined || boxNonce !== undefined) {
      throw new EnvelopeError('InvalidRecipientHeader', 'Anoncrypt recipients carry no sender or iv')
    }
    cek = attempt('KeyUnwrapFailed', () => sodium.crypto_box_seal_open(encryptedKey, ourX25519Public, ourX25519Secret))
  }

  const iv = decode(envelope.iv, 'iv')
  const aad = sodium.from_string(envelope.protected)
  const ciphertext = decode(envelope.ciphertext, 'ciphertext')
  const tag = decode(envelope.tag, 'tag')
  let plaintextBytes
  if (iv.length === sodium.crypto_aead_chacha20poly1305_ietf_NPUBBYTES) {
    plaintextBytes = attempt('DecryptionFailed', () =>
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(null, ciphertext, tag, aad, iv, cek)
    )
  } else if (iv.length === sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) {
    plaintextBytes = attempt('DecryptionFailed', () =>
      sodium.crypto_aead_xchacha20poly1305_ietf_decrypt_detached(null, ciphertext, tag, aad, iv, cek)
    )
  } else {
    throw new EnvelopeError('InvalidIv', `The content IV has ${iv.length} bytes, not 12 or 24`)
  }
  sodium.memzero(cek)

  const plaintext = sodium.to_string(plaintextBytes)
  let plaintextMessage
  try {
    plaintextMessage = JSON.parse(plaintext)
  } catch {
    plaintextMessage = undefined
  }
  return { plaintext, plaintextMessage, recipientKey: verkeyOf(ourKeyPair), senderKey }
}

function toLookup(keyPairs) {
  if (typeof keyPairs === 'function') return keyPairs
  if (keyPairs instanceof Map) return (kid) => keyPairs.get(kid)
  const list = Array.isArray(keyPairs) ? keyPairs : [keyPairs]
  return (kid) => list.find((pair) => verkeyOf(pair) === kid)
}

function toPayloadBytes(message) {
  if (message instanceof Uint8Array) return message
  if (typeof message === 'string') return sodium.from_string(message)
  return sodium.from_string(JSON.stringify(message))
}

function parseJson(value, code, message) {
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) return value
  try {
    return JSON.parse(value instanceof Uint8Array ? sodium.to_string(value) : value)
  } catch {
    throw new EnvelopeError(code, message)
  }
}

function attempt(code, action) {
  try {
    return action()
  } catch (error) {
    if (error instanceof EnvelopeError) throw error
    throw new EnvelopeError(code, `${code}: ${error?.message ?? error}`)
  }
}

function decodeVerkey(verkey, code) {
  let bytes
  try {
    bytes = bs58.decode(verkey)
  } catch {
    throw new EnvelopeError(code, `'${verkey}' is not base58`)
  }
  if (bytes.length !== 32) throw new EnvelopeError(code, `'${verkey}' is not a 32-byte key`)
  return bytes
}

function encode(bytes) {
  return sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING)
}

function encodePadded(bytes) {
  return sodium.to_base64(bytes, sodium.base64_variants.URLSAFE)
}

// Reads padded or unpadded base64url (and the standard alphabet), as Node's Buffer does for Credo.
function decode(text, field) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9\-_+/]*={0,2}$/.test(text)) {
    throw new EnvelopeError('InvalidBase64', `'${field}' is not base64url`)
  }
  const unpadded = text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
  try {
    return sodium.from_base64(unpadded, sodium.base64_variants.URLSAFE_NO_PADDING)
  } catch {
    throw new EnvelopeError('InvalidBase64', `'${field}' is not base64url`)
  }
}

function toBytes(value) {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return sodium.from_hex(value)
  throw new TypeError('Expected bytes or a hex string')
}
