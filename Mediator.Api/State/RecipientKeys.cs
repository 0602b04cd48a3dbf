using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using SimpleBase;

namespace Mediator.Api.State;

/// <summary>
/// Recipient keys as the keylists store them: raw base58 Ed25519 verkeys. Wallets send either that form or the
/// Ed25519 did:key (<c>did:key:z6Mk...</c>, optionally with a <c>#fragment</c>; Credo 0.5 uses did:key in coordinate
/// mediation by default). Both normalise to the raw base58 verkey.
/// </summary>
public static class RecipientKeys
{
    private const string DidKeyPrefix = "did:key:";
    private const int Ed25519KeyLength = 32;

    // The multicodec prefix of an Ed25519 public key (0xed as an unsigned varint).
    private static readonly byte[] Ed25519Multicodec = [0xed, 0x01];

    /// <summary>Normalises a raw base58 verkey or an Ed25519 did:key to the raw base58 verkey.</summary>
    public static bool TryNormalise([NotNullWhen(true)] string? input, [NotNullWhen(true)] out string? verkey, [NotNullWhen(false)] out string? error)
    {
        verkey = null;
        if (string.IsNullOrWhiteSpace(input))
        {
            error = "the recipient key is empty";
            return false;
        }
        if (input.Length > 256)
        {
            error = "the recipient key is too long to be an Ed25519 key";
            return false;
        }
        if (input.StartsWith(DidKeyPrefix, StringComparison.Ordinal))
        {
            var identifier = input.AsSpan(DidKeyPrefix.Length);
            var fragment = identifier.IndexOf('#');
            if (fragment >= 0) identifier = identifier[..fragment];
            if (identifier.Length < 2 || identifier[0] != 'z')
            {
                error = "a did:key must use multibase base58btc ('z')";
                return false;
            }
            if (!MediatorKeySeed.TryDecodeBase58(identifier[1..].ToString(), out var multikey)
                || multikey.Length != Ed25519Multicodec.Length + Ed25519KeyLength
                || !multikey.AsSpan(0, Ed25519Multicodec.Length).SequenceEqual(Ed25519Multicodec))
            {
                error = "the did:key is not an Ed25519 public key";
                return false;
            }
            verkey = Base58.Bitcoin.Encode(multikey.AsSpan(Ed25519Multicodec.Length));
            error = null;
            return true;
        }
        if (!MediatorKeySeed.TryDecodeBase58(input, out var raw))
        {
            error = "the recipient key is neither a did:key nor a base58 verkey";
            return false;
        }
        if (raw.Length != Ed25519KeyLength)
        {
            error = string.Create(CultureInfo.InvariantCulture,
                $"a base58 verkey must decode to {Ed25519KeyLength} bytes, not {raw.Length}");
            return false;
        }
        // Base58 text of the alphabet is canonical (one zero byte per leading '1', then the number's digits), so the text
        // that decoded to 32 bytes is already what encoding them gives: no re-encoding per forward.
        verkey = input;
        error = null;
        return true;
    }

    /// <summary>Normalises, throwing <see cref="ArgumentException"/> with the reason when the key is malformed.</summary>
    public static string Normalise(string input, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(input))] string? parameterName = null) =>
        TryNormalise(input, out var verkey, out var error) ? verkey : throw new ArgumentException(error, parameterName);

    /// <summary>The Ed25519 did:key of a raw base58 verkey.</summary>
    public static string ToDidKey(string verkey)
    {
        var raw = MediatorKeySeed.TryDecodeBase58(verkey, out var bytes) && bytes.Length == Ed25519KeyLength
            ? bytes
            : throw new ArgumentException("Not a base58 Ed25519 verkey.", nameof(verkey));
        return DidKeyPrefix + "z" + Base58.Bitcoin.Encode([.. Ed25519Multicodec, .. raw]);
    }
}
