namespace Mediator.Didcomm.Keys;

/// <summary>An X25519 (Curve25519) key pair, as derived from an Ed25519 key pair for crypto_box.</summary>
public sealed class X25519KeyPair
{
    public const int KeySize = 32;

    private readonly byte[] _privateKey;
    private readonly byte[] _publicKey;

    internal X25519KeyPair(byte[] privateKey, byte[] publicKey)
    {
        _privateKey = privateKey;
        _publicKey = publicKey;
    }

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    public ReadOnlySpan<byte> PrivateKey => _privateKey;

    // The arrays themselves, for Sodium.Core's byte[]-only API; never handed out.
    internal byte[] PublicKeyArray => _publicKey;

    internal byte[] PrivateKeyArray => _privateKey;

    // The last peer's shared crypto_box key (SharedBoxKey): a per-connection key talks to one wallet key, so one entry
    // serves every envelope both ways on that connection, at ~100 bytes per key pair. Replaced whole (never mutated),
    // so readers on other threads see either the old entry or the new one.
    private SharedEntry? _shared;

    /// <summary>
    /// The crypto_box shared key of this secret key and <paramref name="theirPublicKey"/> (X25519), computed once for the
    /// last peer; null when their key is a low-order point (no box can be made or opened with it).
    /// </summary>
    internal byte[]? SharedKeyWith(ReadOnlySpan<byte> theirPublicKey)
    {
        var entry = Volatile.Read(ref _shared);
        if (entry is not null && theirPublicKey.SequenceEqual(entry.TheirPublicKey))
        {
            return entry.SharedKey;
        }

        var shared = SharedBoxKey.Compute(theirPublicKey, _privateKey);
        if (shared is not null)
        {
            Volatile.Write(ref _shared, new SharedEntry(theirPublicKey.ToArray(), shared));
        }

        return shared;
    }

    private sealed record SharedEntry(byte[] TheirPublicKey, byte[] SharedKey);
}
