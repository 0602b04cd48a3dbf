using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Sodium;

namespace Mediator.Didcomm.Keys;

/// <summary>
/// crypto_box with a precomputed shared key (crypto_box_beforenm, then the <c>_afternm</c> forms): an authcrypt envelope
/// boxes its content key from the sender's X25519 key to the recipient's, and that static-static Diffie-Hellman is the
/// same for every message between two keys. Computing it once per key pair (see <see cref="X25519KeyPair"/>) saves one
/// X25519 scalar multiplication per authcrypt pack and one per authcrypt unpack (on the mediator, two to three per live
/// message: the delivery, the acknowledgement, the status). The ciphertexts are byte for byte those of
/// crypto_box_easy / crypto_box_open_easy with the same nonce: libsodium defines those as beforenm + afternm.
/// </summary>
internal static class SharedBoxKey
{
    public const int KeySize = 32;
    public const int MacSize = 16;
    public const int NonceSize = 24;

    /// <summary>The shared key of our X25519 secret key and their X25519 public key; null when their key is a low-order point.</summary>
    public static byte[]? Compute(ReadOnlySpan<byte> theirPublicKey, ReadOnlySpan<byte> ourSecretKey)
    {
        if (theirPublicKey.Length != X25519KeyPair.KeySize || ourSecretKey.Length != X25519KeyPair.KeySize)
        {
            throw new ArgumentException("X25519 keys have 32 bytes.");
        }

        SodiumCore.Init();
        var shared = new byte[KeySize];
        if (Native.crypto_box_beforenm(shared, in MemoryMarshal.GetReference(theirPublicKey), in MemoryMarshal.GetReference(ourSecretKey)) != 0)
        {
            CryptographicOperations.ZeroMemory(shared);
            return null;
        }

        return shared;
    }

    /// <summary>crypto_box_easy_afternm: MAC (16) || ciphertext.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> message, ReadOnlySpan<byte> nonce, byte[] sharedKey)
    {
        CheckSizes(nonce, sharedKey);
        var boxed = new byte[message.Length + MacSize];
        if (Native.crypto_box_easy_afternm(boxed, in MemoryMarshal.GetReference(message), (ulong)message.Length,
                in MemoryMarshal.GetReference(nonce), sharedKey) != 0)
        {
            throw new CryptographicException("crypto_box_easy_afternm failed.");
        }

        return boxed;
    }

    /// <summary>crypto_box_open_easy_afternm; null when the box does not authenticate.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> boxed, ReadOnlySpan<byte> nonce, byte[] sharedKey)
    {
        CheckSizes(nonce, sharedKey);
        if (boxed.Length < MacSize)
        {
            return null;
        }

        var message = new byte[boxed.Length - MacSize];
        var opened = Native.crypto_box_open_easy_afternm(message, in MemoryMarshal.GetReference(boxed), (ulong)boxed.Length,
            in MemoryMarshal.GetReference(nonce), sharedKey);
        if (opened != 0)
        {
            CryptographicOperations.ZeroMemory(message);
            return null;
        }

        return message;
    }

    private static void CheckSizes(ReadOnlySpan<byte> nonce, byte[] sharedKey)
    {
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"A crypto_box nonce has {NonceSize} bytes, not {nonce.Length}.", nameof(nonce));
        }

        if (sharedKey is not { Length: KeySize })
        {
            throw new ArgumentException($"A crypto_box shared key has {KeySize} bytes.", nameof(sharedKey));
        }
    }

    // The libsodium that Sodium.Core loads (the same native asset).
    private static class Native
    {
        private const string Library = "libsodium";

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int crypto_box_beforenm(byte[] k, in byte pk, in byte sk);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int crypto_box_easy_afternm(byte[] c, in byte m, ulong mlen, in byte n, byte[] k);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int crypto_box_open_easy_afternm(byte[] m, in byte c, ulong clen, in byte n, byte[] k);
    }
}
