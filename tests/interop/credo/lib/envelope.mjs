// DIDComm v1 envelopes (Aries RFC 0019) exactly as Credo's askar wallet writes them, over libsodium.
//  protected = base64url(JSON{ enc: "xchacha20poly1305_ietf", typ: "JWM/1.0", alg: "Authcrypt"|"Anoncrypt",
//                              recipients: [{ encrypted_key, header: { kid, sender?, iv? } }] })
//  Authcrypt: cek = crypto_box(cek, nonce, recipientX25519, senderX25519); header.sender = crypto_box_seal(base58 sender
//             verkey); header.iv = nonce.  Anoncrypt: encrypted_key = crypto_box_seal(cek).
//  Content: ChaCha20-Poly1305 IETF, 12-byte iv, AAD = the protected header string (ASCII).  On input a 24-byte iv is
//  decrypted as XChaCha20-Poly1305.  All base64 is unpadded base64url on output; both alphabets, padded or not, on input.
import credo from '@credo-ts/core'

const { TypedArrayEncoder } = credo

const b64u = (bytes) => Buffer.from(bytes).toString('base64url')
function fromB64(value, what) {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_\-+/]*={0,2}$/.test(value)) throw new Error(`${what} is not base64`)
  return new Uint8Array(Buffer.from(value, 'base64'))
}

export function readProtectedHeader(envelope) {
  if (!envelope || typeof envelope !== 'object') throw new Error('envelope is not a JSON object')
  const header = JSON.parse(Buffer.from(fromB64(envelope.protected, 'protected')).toString('utf8'))
  if (!header || !Array.isArray(header.recipients)) throw new Error('protected header has no recipients')
  return header
}

export function packEnvelope(sodium, payload, recipientKeysBase58, sender) {
  const cek = sodium.crypto_aead_chacha20poly1305_ietf_keygen()
  const senderX = sender
    ? { publicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(sender.publicKey),
        secretKey: sodium.crypto_sign_ed25519_sk_to_curve25519(sender.secretKey) }
    : undefined
  const recipients = recipientKeysBase58.map((kid) => {
    const recipientX = sodium.crypto_sign_ed25519_pk_to_curve25519(TypedArrayEncoder.fromBase58(kid))
    if (!senderX) {
      return { encrypted_key: b64u(sodium.crypto_box_seal(cek, recipientX)), header: { kid } }
    }
    const nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES)
    const encryptedKey = sodium.crypto_box_easy(cek, nonce, recipientX, senderX.secretKey)
    const senderVerkey = TypedArrayEncoder.toBase58(sender.publicKey)
    const encryptedSender = sodium.crypto_box_seal(sodium.from_string(senderVerkey), recipientX)
    return { encrypted_key: b64u(encryptedKey), header: { kid, sender: b64u(encryptedSender), iv: b64u(nonce) } }
  })
  const protectedJson = { enc: 'xchacha20poly1305_ietf', typ: 'JWM/1.0', alg: sender ? 'Authcrypt' : 'Anoncrypt', recipients }
  const protectedB64 = b64u(Buffer.from(JSON.stringify(protectedJson)))
  const iv = sodium.randombytes_buf(sodium.crypto_aead_chacha20poly1305_ietf_NPUBBYTES)
  const { ciphertext, mac } = sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    sodium.from_string(JSON.stringify(payload)), sodium.from_string(protectedB64), null, iv, cek)
  return { protected: protectedB64, iv: b64u(iv), ciphertext: b64u(ciphertext), tag: b64u(mac) }
}

// recipient: { publicKey, secretKey } (Ed25519, libsodium 64-byte secret key)
export function unpackEnvelope(sodium, envelope, recipient) {
  const header = readProtectedHeader(envelope)
  if (header.alg !== 'Authcrypt' && header.alg !== 'Anoncrypt') throw new Error(`unsupported alg '${header.alg}'`)
  const kid = TypedArrayEncoder.toBase58(recipient.publicKey)
  const entry = header.recipients.find((r) => r?.header?.kid === kid)
  if (!entry) throw new Error('no recipient entry for this key')
  const recipientX = {
    publicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(recipient.publicKey),
    secretKey: sodium.crypto_sign_ed25519_sk_to_curve25519(recipient.secretKey),
  }
  const encryptedKey = fromB64(entry.encrypted_key, 'encrypted_key')
  const hasSender = entry.header.sender !== undefined
  const hasIv = entry.header.iv !== undefined
  if (hasSender !== hasIv) throw new Error(hasSender ? 'missing recipient iv' : 'unexpected recipient iv')
  let cek
  let senderKey
  if (hasSender) {
    if (header.alg !== 'Authcrypt') throw new Error('sender given for Anoncrypt')
    senderKey = sodium.to_string(sodium.crypto_box_seal_open(fromB64(entry.header.sender, 'sender'),
      recipientX.publicKey, recipientX.secretKey))
    const senderX = sodium.crypto_sign_ed25519_pk_to_curve25519(TypedArrayEncoder.fromBase58(senderKey))
    cek = sodium.crypto_box_open_easy(encryptedKey, fromB64(entry.header.iv, 'iv'), senderX, recipientX.secretKey)
  } else {
    if (header.alg === 'Authcrypt') throw new Error('sender key not provided for Authcrypt')
    cek = sodium.crypto_box_seal_open(encryptedKey, recipientX.publicKey, recipientX.secretKey)
  }
  const iv = fromB64(envelope.iv, 'iv')
  const ciphertext = fromB64(envelope.ciphertext, 'ciphertext')
  const tag = fromB64(envelope.tag, 'tag')
  const aad = sodium.from_string(envelope.protected)
  let plaintext
  if (iv.length === 12) {
    plaintext = sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(null, ciphertext, tag, aad, iv, cek)
  } else if (iv.length === 24) {
    plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt_detached(null, ciphertext, tag, aad, iv, cek)
  } else {
    throw new Error(`iv must be 12 or 24 bytes, got ${iv.length}`)
  }
  return { plaintext, senderKey, recipientKey: kid }
}
