using System.Security.Cryptography;
using System.Text;

namespace Notifier.Worker.Webhooks;

/// <summary>
/// How webhook requests are signed. The receiver recomputes
/// <c>hex(HMAC-SHA256(secret, "&lt;X-PickupAspire-Timestamp&gt;." + raw body bytes))</c>, compares it in fixed time with
/// the <c>sha256=</c> value of <c>X-PickupAspire-Signature</c>, and rejects timestamps too far from its clock (e.g. 5
/// minutes) so that a captured request cannot be replayed later.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-PickupAspire-Signature";
    public const string TimestampHeader = "X-PickupAspire-Timestamp";
    public const string EventIdHeader = "X-PickupAspire-Event-Id";
    public const string Prefix = "sha256=";

    /// <summary><c>sha256=&lt;lower-case hex&gt;</c> of <c>timestamp + "." + body</c>.</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>The receiver's check: signature matches and the timestamp is within <paramref name="tolerance"/> of now.</summary>
    public static bool Verify(string secret, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body,
        DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampHeader, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var timestamp)
            || signatureHeader is null)
            return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signatureHeader));
    }
}
