using System.Security.Cryptography;
using Sodium;

namespace Mediator.Didcomm.Keys;

/// <summary>
/// An Ed25519 signing key pair (libsodium through Sodium.Core) with its X25519 form for DIDComm v1 envelopes.
/// Immutable and thread-safe.
/// </summary>
public sealed class Ed25519KeyPair
{
    private readonly byte[] _secretKey; // libsodium layout: seed (32) || public key (32)
    private readonly byte[] _publicKey;
    private readonly string _verkey;
    private string? _didKey;
    private X25519KeyPair? _x25519;

    private Ed25519KeyPair(byte[] secretKey, byte[] publicKey)
    {
        _secretKey = secretKey;
        _publicKey = publicKey;
        _verkey = Ed25519.EncodeVerkey(publicKey);
    }

    /// <summary>A new key pair from libsodium's random source.</summary>
    public static Ed25519KeyPair Generate()
    {
        var pair = PublicKeyAuth.GenerateKeyPair();
        return new Ed25519KeyPair(pair.PrivateKey, pair.PublicKey);
    }

    /// <summary>The key pair of a 32-byte seed (crypto_sign_seed_keypair): the same seed gives the same keys everywhere.</summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    public static Ed25519KeyPair FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize)
        {
            throw new ArgumentException($"An Ed25519 seed has {Ed25519.SeedSize} bytes, not {seed.Length}.", nameof(seed));
        }

        var pair = PublicKeyAuth.GenerateKeyPair(seed.ToArray());
        return new Ed25519KeyPair(pair.PrivateKey, pair.PublicKey);
    }

    /// <summary>
    /// The key pair of a 64-byte libsodium secret key (seed || public key), the form indy-sdk and Credo export.
    /// </summary>
    /// <exception cref="ArgumentException">Not 64 bytes, or its public half does not belong to its seed.</exception>
    public static Ed25519KeyPair FromSecretKey(ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length != Ed25519.SecretKeySize)
        {
            throw new ArgumentException(
                $"An Ed25519 secret key has {Ed25519.SecretKeySize} bytes, not {secretKey.Length}.", nameof(secretKey));
        }

        var pair = FromSeed(secretKey[..Ed25519.SeedSize]);
        if (!CryptographicOperations.FixedTimeEquals(pair._publicKey, secretKey[Ed25519.SeedSize..]))
        {
            throw new ArgumentException("The secret key's public half does not match its seed.", nameof(secretKey));
        }

        return pair;
    }

    /// <summary>The 32 public key bytes.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>The public key in base58, the Indy/Aries "verkey" used in RFC 0019 envelopes and DIDDocs.</summary>
    public string Verkey => _verkey;

    /// <summary>The public key as <c>did:key:z6Mk...</c> (multicodec ed25519-pub).</summary>
    public string DidKey => _didKey ??= Keys.DidKey.FromEd25519PublicKey(_publicKey);

    /// <summary>A copy of the 32-byte seed, to store the key; the caller owns and should clear it.</summary>
    public byte[] ExportSeed() => _secretKey.AsSpan(0, Ed25519.SeedSize).ToArray();

    /// <summary>A copy of the public key bytes.</summary>
    public byte[] GetPublicKeyBytes() => (byte[])_publicKey.Clone();

    /// <summary>The detached 64-byte Ed25519 signature of <paramref name="message"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => PublicKeyAuth.SignDetached(message.ToArray(), _secretKey);

    /// <summary>Verifies a detached signature against this key pair's public key.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        Ed25519.Verify(_publicKey, message, signature);

    /// <summary>The X25519 form (crypto_sign_ed25519_sk_to_curve25519 / pk_to_curve25519), computed once.</summary>
    public X25519KeyPair ToX25519()
    {
        return _x25519 ??= new X25519KeyPair(
            PublicKeyAuth.ConvertEd25519SecretKeyToCurve25519SecretKey(_secretKey),
            PublicKeyAuth.ConvertEd25519PublicKeyToCurve25519PublicKey(_publicKey));
    }

    public override string ToString() => $"Ed25519 {_verkey}";
}
