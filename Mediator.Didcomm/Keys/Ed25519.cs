using System.Collections.Concurrent;
using System.Runtime.InteropServices;
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

    /// <summary>As <see cref="ToX25519PublicKey"/>, without throwing. Each call returns an array of its own.</summary>
    public static bool TryToX25519PublicKey(ReadOnlySpan<byte> ed25519PublicKey, out byte[] x25519PublicKey)
    {
        x25519PublicKey = [];
        if (ed25519PublicKey.Length != PublicKeySize)
        {
            return false;
        }

        // The same few keys are converted for every message between a wallet and the mediator (a point decompression,
        // a few percent of the mediator's CPU per message): the results, valid or not, are remembered.
        var cacheKey = MemoryMarshal.Read<PublicKeyBytes>(ed25519PublicKey);
        if (!X25519Forms.TryGetValue(cacheKey, out var converted))
        {
            try
            {
                converted = PublicKeyAuth.ConvertEd25519PublicKeyToCurve25519PublicKey(ed25519PublicKey.ToArray());
            }
            catch (CryptographicException)
            {
                converted = null;
            }

            if (X25519Forms.Count >= X25519FormsCapacity)
            {
                X25519Forms.Clear(); // bounded: a flood of new keys costs conversions, never memory
            }

            X25519Forms[cacheKey] = converted;
        }

        if (converted is null)
        {
            return false;
        }

        x25519PublicKey = (byte[])converted.Clone();
        return true;
    }

    private const int X25519FormsCapacity = 16_384;

    private static readonly ConcurrentDictionary<PublicKeyBytes, byte[]?> X25519Forms = new();

    /// <summary>A 32-byte public key as a value (dictionary key).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct PublicKeyBytes(ulong A, ulong B, ulong C, ulong D);

    internal static string Truncate(string value) => value.Length <= 60 ? value : string.Concat(value.AsSpan(0, 60), "...");
}
