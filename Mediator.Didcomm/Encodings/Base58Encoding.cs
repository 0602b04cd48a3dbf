using System.Buffers;
using SimpleBase;

namespace Mediator.Didcomm.Encodings;

/// <summary>
/// Base58 with the Bitcoin alphabet (the one Indy/Aries verkeys and multibase 'z' use): encoding and <see cref="Decode"/> over
/// SimpleBase, the span decoders (the hot path) our own.
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
    /// <remarks>
    /// Every envelope's recipient kids, every authcrypt sender and every forward's <c>to</c> pass through here (it was ~3 % of
    /// the mediator's CPU per live message through SimpleBase, which works a byte at a time): the number is built in 32-bit
    /// limbs, five digits per step (58^5 &lt; 2^32), then written big-endian after one zero byte per leading '1'.
    /// </remarks>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (text.IsEmpty || text.Length > MaxDecodableChars)
        {
            return text.IsEmpty;
        }

        var zeros = 0;
        while (zeros < text.Length && text[zeros] == '1')
        {
            zeros++;
        }

        // 128 digits of base 58 need at most 750 bits: 24 limbs.
        Span<uint> limbs = stackalloc uint[MaxLimbs];
        var used = 0; // limbs in use, least significant first
        uint chunk = 0;
        uint scale = 1;
        for (var i = zeros; i < text.Length; i++)
        {
            var c = text[i];
            var digit = c < DigitOf.Length ? DigitOf[c] : (sbyte)-1;
            if (digit < 0)
            {
                return false;
            }

            chunk = chunk * 58 + (uint)digit;
            scale *= 58;
            if (scale == Pow58To5 || i == text.Length - 1)
            {
                used = MultiplyAdd(limbs, used, scale, chunk);
                chunk = 0;
                scale = 1;
            }
        }

        var significant = 0;
        if (used > 0)
        {
            var top = limbs[used - 1];
            significant = (used - 1) * 4 + (32 - System.Numerics.BitOperations.LeadingZeroCount(top) + 7) / 8;
        }

        var length = zeros + significant;
        if (length > destination.Length)
        {
            return false;
        }

        destination[..zeros].Clear();
        for (var b = 0; b < significant; b++)
        {
            // byte b of the big-endian value, counted from its least significant end
            var fromEnd = significant - 1 - b;
            destination[zeros + b] = (byte)(limbs[fromEnd / 4] >> (8 * (fromEnd % 4)));
        }

        bytesWritten = length;
        return true;
    }

    private const int MaxLimbs = 24;
    private const uint Pow58To5 = 58 * 58 * 58 * 58 * 58;

    // value = value * scale + add over the limbs in use; returns the limbs in use after it.
    private static int MultiplyAdd(Span<uint> limbs, int used, uint scale, uint add)
    {
        ulong carry = add;
        for (var i = 0; i < used; i++)
        {
            var product = (ulong)limbs[i] * scale + carry;
            limbs[i] = (uint)product;
            carry = product >> 32;
        }

        if (carry != 0)
        {
            limbs[used++] = (uint)carry;
        }

        return used;
    }

    // The digit of each ASCII character in the Bitcoin alphabet, -1 for characters outside it.
    private static readonly sbyte[] DigitOf = BuildDigits();

    private static sbyte[] BuildDigits()
    {
        const string alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        var digits = new sbyte[128];
        digits.AsSpan().Fill(-1);
        for (var i = 0; i < alphabet.Length; i++)
        {
            digits[alphabet[i]] = (sbyte)i;
        }

        return digits;
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
