namespace Mediator.Didcomm.Envelopes;

/// <summary>Byte sizes of the RFC 0019 envelope's parts (libsodium's), shared by the packer and the unpacker.</summary>
internal static class EnvelopeSizes
{
    /// <summary>The content encryption key (ChaCha20-Poly1305).</summary>
    public const int ContentKeySize = 32;

    /// <summary>The Poly1305 tag of the content.</summary>
    public const int TagSize = 16;

    /// <summary>The content IV askar writes (ChaCha20-Poly1305 IETF).</summary>
    public const int ChaChaIvSize = 12;

    /// <summary>The content IV indy-sdk writes (XChaCha20-Poly1305 IETF).</summary>
    public const int XChaChaIvSize = 24;

    /// <summary>crypto_box nonce (authcrypt's per-recipient <c>iv</c>).</summary>
    public const int BoxNonceSize = 24;

    /// <summary>crypto_box MAC bytes.</summary>
    public const int BoxOverhead = 16;

    /// <summary>crypto_box_seal overhead (ephemeral public key + MAC).</summary>
    public const int SealOverhead = 48;
}
