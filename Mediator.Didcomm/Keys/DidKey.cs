using Mediator.Didcomm.Encodings;

namespace Mediator.Didcomm.Keys;

/// <summary>The kinds of public key a did:key can carry here.</summary>
public enum DidKeyType
{
    /// <summary>Multicodec ed25519-pub (0xed); did:key:z6Mk...</summary>
    Ed25519,

    /// <summary>Multicodec x25519-pub (0xec); did:key:z6LS...</summary>
    X25519,
}

/// <summary>A decoded did:key: its key type and 32 public key bytes.</summary>
public sealed record DecodedDidKey(DidKeyType KeyType, byte[] PublicKey)
{
    /// <summary>The base58 verkey of the key (any key type: it is just the public key in base58).</summary>
    public string ToBase58() => Base58Encoding.Encode(PublicKey);
}

/// <summary>
/// did:key (W3C CCG did:key method) for Ed25519 and X25519: "did:key:" + multibase base58btc ('z') of the
/// unsigned-varint multicodec prefix (ed25519-pub 0xed = 0xed 0x01, x25519-pub 0xec = 0xec 0x01) and the key bytes.
/// </summary>
public static class DidKey
{
    public const string Prefix = "did:key:";

    private const byte Ed25519Codec = 0xed;
    private const byte X25519Codec = 0xec;
    private const int KeySize = 32;

    public static string FromEd25519PublicKey(ReadOnlySpan<byte> publicKey) => Encode(Ed25519Codec, publicKey);

    public static string FromX25519PublicKey(ReadOnlySpan<byte> publicKey) => Encode(X25519Codec, publicKey);

    /// <summary>did:key of a base58 Ed25519 verkey (Credo's <c>verkeyToDidKey</c>).</summary>
    /// <exception cref="KeyFormatException">Not a base58 32-byte verkey.</exception>
    public static string FromVerkey(string verkey) => FromEd25519PublicKey(Ed25519.DecodeVerkey(verkey));

    /// <summary>The base58 verkey of an Ed25519 did:key (Credo's <c>didKeyToVerkey</c>).</summary>
    /// <exception cref="KeyFormatException">Not a valid did:key, or not an Ed25519 one.</exception>
    public static string ToVerkey(string didKey)
    {
        var decoded = Decode(didKey);
        if (decoded.KeyType != DidKeyType.Ed25519)
        {
            throw new KeyFormatException($"'{Ed25519.Truncate(didKey)}' is an {decoded.KeyType} did:key, not Ed25519.");
        }

        return decoded.ToBase58();
    }

    /// <summary>True when <paramref name="value"/> starts with "did:key:".</summary>
    public static bool IsDidKey(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// Decodes a did:key, optionally with a fragment (<c>did:key:z6Mk...#z6Mk...</c>, as used in DIDDoc key ids).
    /// </summary>
    /// <exception cref="KeyFormatException">With the precise reason.</exception>
    public static DecodedDidKey Decode(string didKey)
    {
        ArgumentNullException.ThrowIfNull(didKey);
        return TryDecode(didKey, out var decoded, out var error)
            ? decoded
            : throw new KeyFormatException($"'{Ed25519.Truncate(didKey)}' is not a valid did:key: {error}");
    }

    public static bool TryDecode(string? didKey, out DecodedDidKey decoded) => TryDecode(didKey, out decoded, out _);

    private static bool TryDecode(string? didKey, out DecodedDidKey decoded, out string error)
    {
        decoded = null!;
        if (didKey is null || !didKey.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = "it does not start with 'did:key:'.";
            return false;
        }

        var id = didKey.AsSpan(Prefix.Length);
        var hash = id.IndexOf('#');
        if (hash >= 0)
        {
            id = id[..hash];
        }

        if (id.Length < 2 || id[0] != 'z')
        {
            error = "the key is not multibase base58btc (it must start with 'z').";
            return false;
        }

        Span<byte> bytes = stackalloc byte[Base58Encoding.MaxDecodableChars];
        if (!Base58Encoding.TryDecode(id[1..], bytes, out var length))
        {
            error = "the multibase value is not base58.";
            return false;
        }

        if (length < 2 || bytes[1] != 0x01 || (bytes[0] != Ed25519Codec && bytes[0] != X25519Codec))
        {
            error = "the multicodec is neither ed25519-pub (0xed) nor x25519-pub (0xec).";
            return false;
        }

        if (length != 2 + KeySize)
        {
            error = $"the key has {length - 2} bytes, not {KeySize}.";
            return false;
        }

        var type = bytes[0] == Ed25519Codec ? DidKeyType.Ed25519 : DidKeyType.X25519;
        decoded = new DecodedDidKey(type, bytes.Slice(2, KeySize).ToArray());
        error = string.Empty;
        return true;
    }

    private static string Encode(byte codec, ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != KeySize)
        {
            throw new KeyFormatException($"A did:key public key has {KeySize} bytes, not {publicKey.Length}.");
        }

        Span<byte> bytes = stackalloc byte[2 + KeySize];
        bytes[0] = codec;
        bytes[1] = 0x01;
        publicKey.CopyTo(bytes[2..]);
        return string.Concat(Prefix, "z", Base58Encoding.Encode(bytes));
    }
}
