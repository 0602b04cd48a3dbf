using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mediator.Didcomm.Encodings;

namespace Mediator.Api.State;

/// <summary>
/// Parses the configured key seed: 32 bytes as hex (64 characters), base64 (44 characters, '=' padded) or base58; or a
/// passphrase of at least <see cref="MinPassphraseLength"/> characters (such as the AppHost's generated 48-character
/// secret), whose seed is SHA-256 of "PickupAspire mediator key seed:" + the passphrase (UTF-8).
/// </summary>
public static class MediatorKeySeed
{
    public const int Length = 32;

    /// <summary>The shortest text taken as a passphrase (shorter text must be one of the exact encodings).</summary>
    public const int MinPassphraseLength = 32;

    private const string PassphraseDomain = "PickupAspire mediator key seed:";

    /// <summary>
    /// The exact encodings cannot be confused: hex of 32 bytes is 64 characters, base64 of 32 bytes always ends in one
    /// '=' (not a base58 character), and base58 of 32 bytes is at most 44 characters. Text that is none of them is a
    /// passphrase if long enough; base64-looking text ('=' at the end) that does not decode to 32 bytes is an error.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out byte[]? seed, [NotNullWhen(false)] out string? error) =>
        TryParse(text, out seed, out _, out error);

    /// <summary>As <see cref="TryParse(string?, out byte[], out string)"/>, also saying which form the text had.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out byte[]? seed, out string form, [NotNullWhen(false)] out string? error)
    {
        seed = null;
        form = "";
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            error = "the seed is empty";
            return false;
        }
        if (value.Length == 2 * Length && value.All(Uri.IsHexDigit))
        {
            seed = Convert.FromHexString(value);
            form = "hex";
            error = null;
            return true;
        }
        if (value.EndsWith('='))
        {
            var buffer = new byte[Length + 3];
            if (Convert.TryFromBase64String(value, buffer, out var written) && written == Length)
            {
                seed = buffer[..Length];
                form = "base64";
                error = null;
                return true;
            }
            error = string.Create(CultureInfo.InvariantCulture,
                $"a base64 seed must decode to {Length} bytes (44 characters with '=' padding)");
            return false;
        }
        if (TryDecodeBase58(value, out var bytes) && bytes.Length == Length)
        {
            seed = bytes;
            form = "base58";
            error = null;
            return true;
        }
        if (value.Length >= MinPassphraseLength)
        {
            seed = SHA256.HashData(Encoding.UTF8.GetBytes(PassphraseDomain + value));
            form = "passphrase";
            error = null;
            return true;
        }
        error = string.Create(CultureInfo.InvariantCulture,
            $"expected {Length} bytes as hex (64 characters), base64 (44 characters ending in '=') or base58, " +
            $"or a passphrase of at least {MinPassphraseLength} characters");
        return false;
    }

    internal static bool TryDecodeBase58(string value, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (value.Length == 0 || value.Length > Base58Encoding.MaxDecodableChars) return false;
        // Mediator.Didcomm's decoder (every forward's 'to' comes through here); it refuses characters outside the alphabet.
        Span<byte> buffer = stackalloc byte[Base58Encoding.MaxDecodableChars];
        if (!Base58Encoding.TryDecode(value, buffer, out var written)) return false;
        bytes = buffer[..written].ToArray();
        return true;
    }
}
