using System.Security.Cryptography;
using Mediator.Didcomm.Encodings;
using Sodium;

namespace Mediator.Didcomm.Keys;

/// <summary>Ed25519 public-key operations (libsodium through Sodium.Core): verify, verkey parsing, X25519 conversion.</summary>
public static class Ed25519
{
    public const int PublicKeySize = 32;
    public const int SeedSize = 32;
    public const int SecretKeySize = 64;
    public const int SignatureSize = 64;

    /// <summary>Verifies a detached signature. False (never an exception) for wrong sizes or an invalid key.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize)
        {
            return false;
        }

        try
        {
            return PublicKeyAuth.VerifyDetached(signature.ToArray(), message.ToArray(), publicKey.ToArray());
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Decodes a base58 verkey into its 32 public key bytes.</summary>
    /// <exception cref="KeyFormatException">Not base58, or not 32 bytes.</exception>
    public static byte[] DecodeVerkey(string verkey)
    {
        ArgumentNullException.ThrowIfNull(verkey);
        var key = new byte[PublicKeySize];
        if (!Base58Encoding.TryDecodeExact(verkey, key, PublicKeySize))
        {
            throw new KeyFormatException($"'{Truncate(verkey)}' is not a base58 Ed25519 verkey (32 bytes).");
        }

        return key;
    }

    /// <summary>True when <paramref name="verkey"/> is base58 of 32 bytes.</summary>
    public static bool IsVerkey(string? verkey)
    {
        Span<byte> key = stackalloc byte[PublicKeySize];
        return verkey is not null && Base58Encoding.TryDecodeExact(verkey, key, PublicKeySize);
    }

    /// <summary>The base58 verkey of 32 public key bytes.</summary>
    public static string EncodeVerkey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeySize)
        {
            throw new KeyFormatException($"An Ed25519 public key has {PublicKeySize} bytes, not {publicKey.Length}.");
        }

        return Base58Encoding.Encode(publicKey);
    }

    /// <summary>Converts an Ed25519 public key to its X25519 (Curve25519) counterpart (crypto_sign_ed25519_pk_to_curve25519).</summary>
    /// <exception cref="KeyFormatException">Wrong size, or not a valid Ed25519 point.</exception>
    public static byte[] ToX25519PublicKey(ReadOnlySpan<byte> ed25519PublicKey)
    {
        if (!TryToX25519PublicKey(ed25519PublicKey, out var x25519))
        {
            throw new KeyFormatException("The Ed25519 public key is not a valid curve point; it has no X25519 form.");
        }

        return x25519;
    }

    /// <summary>As <see cref="ToX25519PublicKey"/>, without throwing.</summary>
    public static bool TryToX25519PublicKey(ReadOnlySpan<byte> ed25519PublicKey, out byte[] x25519PublicKey)
    {
        x25519PublicKey = [];
        if (ed25519PublicKey.Length != PublicKeySize)
        {
            return false;
        }

        try
        {
            x25519PublicKey = PublicKeyAuth.ConvertEd25519PublicKeyToCurve25519PublicKey(ed25519PublicKey.ToArray());
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal static string Truncate(string value) => value.Length <= 60 ? value : string.Concat(value.AsSpan(0, 60), "...");
}
