using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Mediator.Didcomm.Encodings;

/// <summary>
/// Base64 as DIDComm v1 peers write it. <see cref="Encode"/> writes unpadded base64url (RFC 4648 section 5), as Credo
/// and askar write envelopes, JWS parts and signature decorators (Credo's <c>TypedArrayEncoder.toBase64URL</c>);
/// <see cref="EncodeStandard"/> writes standard padded base64, as Credo writes attachment <c>data.base64</c>
/// (<c>JsonEncoder.toBase64</c>). Every decoder reads padded and unpadded input in either alphabet ('-' '_' or
/// '+' '/'), because Credo's reader (Node's <c>Buffer.from(x, 'base64')</c>) accepts all of them and older indy-sdk
/// agents wrote padded values, and rejects whitespace, misplaced padding and impossible lengths. They differ in one
/// point: <see cref="Decode"/>, <see cref="TryDecode(ReadOnlySpan{char}, Span{byte}, out int)"/> and
/// <see cref="TryDecodeUtf8"/> (envelopes and keys) also reject a last character with non-zero unused bits, so that a
/// value has one encoding only; <see cref="TryDecodeIgnoringTrailingBits"/> (message model: attachments, JWS parts,
/// signature decorators, did:peer:2 services) ignores those bits as Node does.
/// </summary>
public static class Base64UrlEncoding
{
    /// <summary>Unpadded base64url.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);

    /// <summary>Standard base64 ('+' '/') with padding (Credo's <c>JsonEncoder.toBase64</c>, attachment <c>data.base64</c>).</summary>
    public static string EncodeStandard(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes);

    /// <summary>
    /// Rewrites base64 text as unpadded base64url text without decoding it (Credo's <c>base64ToBase64URL</c>: the JWS
    /// payload of a signed attachment is its <c>data.base64</c> rewritten so).
    /// </summary>
    public static string ToUrlText(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        return base64.TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Length of the unpadded encoding of <paramref name="byteCount"/> bytes.</summary>
    public static int GetEncodedLength(int byteCount) => Base64Url.GetEncodedLength(byteCount);

    /// <summary>Writes the unpadded encoding as ASCII bytes; returns the count written.</summary>
    public static int EncodeToUtf8(ReadOnlySpan<byte> bytes, Span<byte> destination) =>
        Base64Url.EncodeToUtf8(bytes, destination);

    /// <summary>Upper bound of the decoded length of <paramref name="encodedLength"/> characters.</summary>
    public static int GetMaxDecodedLength(int encodedLength) => (encodedLength / 4 * 3) + 3;

    /// <summary>
    /// The exact decoded length of padded or unpadded base64(url) ASCII text; false when the text has a character
    /// outside the alphabets, misplaced padding, or an impossible length.
    /// </summary>
    public static bool TryGetDecodedLength(ReadOnlySpan<byte> utf8Text, out int length)
    {
        length = 0;
        if (!IsCanonicalShape(utf8Text))
        {
            return false;
        }

        var end = utf8Text.Length;
        if (end > 0 && utf8Text[end - 1] == (byte)'=')
        {
            end--;
            if (end > 0 && utf8Text[end - 1] == (byte)'=')
            {
                end--;
            }
        }

        var remainder = end % 4;
        length = (end / 4 * 3) + (remainder == 2 ? 1 : remainder == 3 ? 2 : 0);
        return remainder != 1;
    }

    /// <summary>Decodes; throws <see cref="FormatException"/> when the text is not base64url/base64.</summary>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new byte[GetMaxDecodedLength(text.Length)];
        if (!TryDecode(text, buffer, out var written))
        {
            throw new FormatException("The text is not valid base64url.");
        }

        return buffer.AsSpan(0, written).ToArray();
    }

    /// <summary>
    /// Decodes as Node's <c>Buffer.from(x, 'base64')</c> reads well-formed text: like <see cref="Decode"/>, but the
    /// unused low bits of the last character (of a length that is not a multiple of 4 characters without padding) may
    /// be non-zero and are ignored.
    /// </summary>
    /// <returns>false when <paramref name="text"/> is null or not base64 in either alphabet.</returns>
    public static bool TryDecodeIgnoringTrailingBits(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null || text.AsSpan().ContainsAnyExceptInRange((char)0, (char)0x7f))
        {
            return false;
        }

        var ascii = Encoding.ASCII.GetBytes(text);
        if (!IsCanonicalShape(ascii))
        {
            return false;
        }

        var end = ascii.AsSpan().TrimEnd((byte)'=').Length;
        var unusedBits = (end % 4) switch { 2 => 4, 3 => 2, _ => 0 };
        if (unusedBits > 0)
        {
            var value = Base64UrlAlphabet.IndexOf((char)ascii[end - 1]) is var url and >= 0 ? url : StandardAlphabet.IndexOf((char)ascii[end - 1]);
            value &= ~((1 << unusedBits) - 1);
            ascii[end - 1] = (byte)Base64UrlAlphabet[value];
        }

        var buffer = new byte[GetMaxDecodedLength(ascii.Length)];
        if (!TryDecodeUtf8(ascii, buffer, out var written))
        {
            return false;
        }

        bytes = buffer.AsSpan(0, written).ToArray();
        return true;
    }

    /// <summary>Decodes UTF-16 text; false when it is not base64url/base64 or does not fit.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(text.Length, 1));
        try
        {
            var ascii = rented.AsSpan(0, text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c >= 0x80)
                {
                    bytesWritten = 0;
                    return false;
                }

                ascii[i] = (byte)c;
            }

            return TryDecodeUtf8(ascii, destination, out bytesWritten);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes ASCII text (as found in UTF-8 JSON); false when it is not base64url/base64 or does not fit.</summary>
    public static bool TryDecodeUtf8(ReadOnlySpan<byte> utf8Text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (utf8Text.IsEmpty)
        {
            return true;
        }

        if (!IsCanonicalShape(utf8Text))
        {
            return false;
        }

        var status = Base64Url.DecodeFromUtf8(utf8Text, destination, out var consumed, out bytesWritten);
        if (status == OperationStatus.Done && consumed == utf8Text.Length)
        {
            return true;
        }

        bytesWritten = 0;
        if (status != OperationStatus.InvalidData || utf8Text.IndexOfAny((byte)'+', (byte)'/') < 0)
        {
            return false;
        }

        // Standard alphabet: translate to the URL-safe one and decode again.
        var rented = ArrayPool<byte>.Shared.Rent(utf8Text.Length);
        try
        {
            var copy = rented.AsSpan(0, utf8Text.Length);
            utf8Text.CopyTo(copy);
            copy.Replace((byte)'+', (byte)'-');
            copy.Replace((byte)'/', (byte)'_');
            status = Base64Url.DecodeFromUtf8(copy, destination, out consumed, out bytesWritten);
            if (status == OperationStatus.Done && consumed == copy.Length)
            {
                return true;
            }

            bytesWritten = 0;
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // Rejects whitespace (which the BCL decoders skip) so that an envelope field has one meaning only, and padding
    // anywhere but at the end.
    private static bool IsCanonicalShape(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return true;
        }

        var end = text.Length;
        var padding = 0;
        while (end > 0 && text[end - 1] == (byte)'=' && padding < 2)
        {
            end--;
            padding++;
        }

        if (padding > 0 && text.Length % 4 != 0)
        {
            return false;
        }

        return text[..end].IndexOfAnyExcept(Alphabet) < 0;
    }

    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private const string StandardAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private static readonly SearchValues<byte> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/"u8);
}
