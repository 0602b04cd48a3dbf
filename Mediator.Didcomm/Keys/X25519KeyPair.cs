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
}
