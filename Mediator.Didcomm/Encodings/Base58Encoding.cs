using System.Buffers;
using SimpleBase;

namespace Mediator.Didcomm.Encodings;

/// <summary>
/// Base58 with the Bitcoin alphabet (the one Indy/Aries verkeys and multibase 'z' use), over SimpleBase.
/// </summary>
public static class Base58Encoding
{
    /// <summary>Longest base58 text the span-based decoders accept (a 64-byte value is at most 88 characters).</summary>
    public const int MaxDecodableChars = 128;

    public static string Encode(ReadOnlySpan<byte> bytes) => Base58.Bitcoin.Encode(bytes);

    /// <summary>Decodes base58 text; throws <see cref="FormatException"/> on any character outside the alphabet.</summary>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return [];
        }

        if (text.AsSpan().IndexOfAnyExcept(Alphabet) >= 0)
        {
            throw new FormatException("The text is not valid base58 (Bitcoin alphabet).");
        }

        try
        {
            return Base58.Bitcoin.Decode(text);
        }
        catch (ArgumentException e)
        {
            throw new FormatException("The text is not valid base58 (Bitcoin alphabet).", e);
        }
    }

    /// <summary>
    /// Decodes base58 text into <paramref name="destination"/>; false when the text is not base58, is longer than
    /// <see cref="MaxDecodableChars"/>, or does not fit.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (text.IsEmpty || text.Length > MaxDecodableChars)
        {
            return text.IsEmpty;
        }

        // SimpleBase indexes a 128-entry table by character and throws IndexOutOfRangeException for non-ASCII input
        // (found by the envelope fuzz test): only ever hand it characters of the alphabet.
        if (text.IndexOfAnyExcept(Alphabet) >= 0)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[MaxDecodableChars];
        if (!Base58.Bitcoin.TryDecode(text, scratch, out var written) || written > destination.Length)
        {
            return false;
        }

        scratch[..written].CopyTo(destination);
        bytesWritten = written;
        return true;
    }

    /// <summary>Decodes ASCII base58 bytes (as they appear in UTF-8 JSON).</summary>
    public static bool TryDecodeUtf8(ReadOnlySpan<byte> utf8Text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (utf8Text.Length > MaxDecodableChars)
        {
            return false;
        }

        Span<char> chars = stackalloc char[MaxDecodableChars];
        for (var i = 0; i < utf8Text.Length; i++)
        {
            var b = utf8Text[i];
            if (b >= 0x80)
            {
                return false;
            }

            chars[i] = (char)b;
        }

        return TryDecode(chars[..utf8Text.Length], destination, out bytesWritten);
    }

    /// <summary>True when <paramref name="text"/> is base58 that decodes to exactly <paramref name="length"/> bytes.</summary>
    public static bool TryDecodeExact(ReadOnlySpan<char> text, Span<byte> destination, int length)
    {
        Span<byte> buffer = stackalloc byte[MaxDecodableChars];
        if (!TryDecode(text, buffer, out var written) || written != length || destination.Length < length)
        {
            return false;
        }

        buffer[..length].CopyTo(destination);
        return true;
    }

    private static readonly SearchValues<char> Alphabet =
        SearchValues.Create("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz");
}
