namespace Mediator.Didcomm.Envelopes;

/// <summary>Why an envelope could not be packed or unpacked.</summary>
public enum EnvelopeError
{
    /// <summary>The envelope, its protected header or its recipient list is over the limit.</summary>
    TooLarge,

    /// <summary>The envelope, or its decoded protected header, is not well-formed JSON.</summary>
    NotJson,

    /// <summary>Well-formed JSON of the wrong shape: not an object, a field of the wrong type, a field given twice.</summary>
    MalformedEnvelope,

    /// <summary>A required field is absent (protected, iv, ciphertext, tag, alg, enc, recipients, encrypted_key, kid).</summary>
    MissingField,

    /// <summary>A field that must be base64url is not.</summary>
    InvalidBase64,

    /// <summary>A recipient kid is not a base58 Ed25519 verkey (32 bytes).</summary>
    InvalidBase58,

    /// <summary>alg is neither "Authcrypt" nor "Anoncrypt".</summary>
    UnsupportedAlgorithm,

    /// <summary>enc is not "xchacha20poly1305_ietf" (or "chacha20poly1305_ietf").</summary>
    UnsupportedEncryption,

    /// <summary>None of the recipient kids is a key we hold.</summary>
    NoMatchingRecipient,

    /// <summary>A recipient header disagrees with alg: authcrypt without sender/iv, anoncrypt with them, a bad box nonce.</summary>
    InvalidRecipientHeader,

    /// <summary>The content key (or the sealed sender) could not be decrypted with our key: not for us, or tampered.</summary>
    KeyUnwrapFailed,

    /// <summary>The authcrypt sender key, once unsealed, is not a valid base58 Ed25519 verkey.</summary>
    SenderKeyInvalid,

    /// <summary>The content IV is neither 12 (ChaCha20-Poly1305 IETF) nor 24 (XChaCha20-Poly1305 IETF) bytes.</summary>
    InvalidIv,

    /// <summary>The content did not authenticate: ciphertext, tag, iv or protected header were changed.</summary>
    DecryptionFailed,

    /// <summary>Packing: a recipient verkey is not a valid base58 Ed25519 public key.</summary>
    InvalidRecipientKey,
}

/// <summary>The one exception envelope packing and unpacking throw for bad input; <see cref="Error"/> says why.</summary>
public sealed class EnvelopeException : Exception
{
    public EnvelopeException(EnvelopeError error, string message)
        : base(message)
    {
        Error = error;
    }

    public EnvelopeException(EnvelopeError error, string message, Exception innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    public EnvelopeError Error { get; }
}
