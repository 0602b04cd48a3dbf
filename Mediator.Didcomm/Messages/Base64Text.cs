namespace Mediator.Didcomm.Messages;

/// <summary>
/// Base64 as DIDComm v1 peers write it: Credo writes attachment <c>data.base64</c> in standard base64 with padding and
/// JWS parts and signature decorators in unpadded base64url, and reads both alphabets either way (Node's Buffer does).
/// Decoding here accepts standard and URL alphabets, padded or not; encoding is explicit.
/// </summary>
public static class Base64Text
{
    /// <summary>Standard base64 with padding (Credo's <c>JsonEncoder.toBase64</c>).</summary>
    public static string Encode(ReadOnlySpan<byte> data) => Convert.ToBase64String(data);

    /// <summary>Unpadded base64url (Credo's <c>TypedArrayEncoder.toBase64URL</c>).</summary>
    public static string EncodeUrl(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes standard or URL-safe base64, padded or unpadded.</summary>
    /// <returns>false when <paramref name="text"/> is not base64 in either alphabet.</returns>
    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null)
        {
            return false;
        }

        var s = text.Replace('-', '+').Replace('_', '/');
        var firstPad = s.IndexOf('=', StringComparison.Ordinal);
        if (firstPad >= 0)
        {
            // Padding only at the end, at most two characters.
            var padCount = s.Length - firstPad;
            if (padCount > 2 || s.AsSpan(firstPad).ContainsAnyExcept('=') || s.Length % 4 != 0)
            {
                return false;
            }
        }
        else
        {
            switch (s.Length % 4)
            {
                case 1: return false;
                case 2: s += "=="; break;
                case 3: s += "="; break;
            }
        }

        foreach (var c in s)
        {
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/' or '='))
            {
                return false;
            }
        }

        try
        {
            bytes = Convert.FromBase64String(s);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Converts standard base64 to unpadded base64url (Credo's <c>base64ToBase64URL</c>).</summary>
    public static string ToBase64Url(string base64) => base64.TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
