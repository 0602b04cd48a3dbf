using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Notifier.Worker.Relay;

namespace Notifier.Worker.Push;

/// <summary>
/// Apple Push Notification service over HTTP/2: <c>POST {BaseUrl}/3/device/{token}</c> with token-based auth (an ES256
/// JWT, <c>kid</c> = key id, <c>iss</c> = team id, <c>iat</c>, signed with the .p8 key and reused for
/// <see cref="ApnsOptions.TokenLifetime"/>), <c>apns-topic</c>, <c>apns-push-type</c>, <c>apns-priority</c>. 410, and
/// 400 BadDeviceToken / DeviceTokenNotForTopic, mean the token is invalid; 403 Expired/InvalidProviderToken renews the
/// JWT; 429, 5xx and the rest are failures the relay retries.
/// </summary>
internal sealed class ApnsChannel : INotificationChannel, IDisposable
{
    public const string HttpClientName = "notifier-apns";

    private readonly IHttpClientFactory _httpClients;
    private readonly ApnsOptions _options;
    private readonly TimeProvider _time;
    private readonly ECDsa? _key;
    private readonly Lock _tokenLock = new();
    private (string Jwt, DateTimeOffset IssuedAt)? _token;

    public ApnsChannel(IHttpClientFactory httpClients, IOptions<NotifierOptions> options, TimeProvider time)
    {
        _httpClients = httpClients;
        _options = options.Value.Apns;
        _time = time;
        if (!string.IsNullOrWhiteSpace(_options.Key))
        {
            _key = ECDsa.Create();
            _key.ImportFromPem(_options.Key);
        }
    }

    public bool Enabled => _key is not null;

    public string Name => "apns";

    public IEnumerable<NotificationTarget> TargetsFor(string connectionId, DeviceInfo? device) =>
        Enabled && device is { Service: "apns" }
            ? [new NotificationTarget(Name, TargetKeys.For(Name, device.Token), device.Token)]
            : [];

    public async Task<SendOutcome> SendAsync(NotificationTarget target, QueuedMessagesEvent notification, CancellationToken cancellationToken)
    {
        var alert = _options.PushType == "alert";
        var aps = alert
            ? new JsonObject { ["alert"] = new JsonObject { ["title"] = _options.Title, ["body"] = _options.Body }, ["mutable-content"] = 1 }
            : new JsonObject { ["content-available"] = 1 };
        var payload = new JsonObject
        {
            ["aps"] = aps,
            ["type"] = notification.Type,
            ["eventId"] = notification.EventId,
            ["connectionId"] = notification.ConnectionId,
            ["count"] = notification.Count,
            ["time"] = notification.Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };

        var url = $"{_options.BaseUrl.TrimEnd('/')}/3/device/{Uri.EscapeDataString(target.Address!)}";
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("authorization", "bearer " + ProviderToken());
        request.Headers.Add("apns-topic", _options.Topic);
        request.Headers.Add("apns-push-type", _options.PushType);
        request.Headers.Add("apns-priority", alert ? "10" : "5");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        using var response = await _httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
        if (response.IsSuccessStatusCode) return SendOutcome.Ok;

        var reason = "";
        try
        {
            reason = JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token))?["reason"]?.GetValue<string>() ?? "";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // No JSON reason; the status says enough.
        }
        var description = $"HTTP {(int)response.StatusCode} {reason}".Trim();
        if (response.StatusCode == HttpStatusCode.Gone
            || (response.StatusCode == HttpStatusCode.BadRequest && reason is "BadDeviceToken" or "DeviceTokenNotForTopic"))
            return new SendOutcome(SendStatus.InvalidToken, description);
        if (response.StatusCode == HttpStatusCode.Forbidden && reason is "ExpiredProviderToken" or "InvalidProviderToken")
        {
            lock (_tokenLock) _token = null;
        }
        return SendOutcome.Fail(description);
    }

    /// <summary>The cached provider JWT, renewed after <see cref="ApnsOptions.TokenLifetime"/>.</summary>
    private string ProviderToken()
    {
        var now = _time.GetUtcNow();
        lock (_tokenLock)
        {
            if (_token is { } cached && now - cached.IssuedAt < _options.TokenLifetime) return cached.Jwt;
            var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["alg"] = "ES256", ["kid"] = _options.KeyId }));
            var claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["iss"] = _options.TeamId, ["iat"] = now.ToUnixTimeSeconds() }));
            var signingInput = header + "." + claims;
            // ECDsa.SignData writes r || s (IEEE P1363), the JWS ES256 format.
            var signature = _key!.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
            var jwt = signingInput + "." + Base64Url(signature);
            _token = (jwt, now);
            return jwt;
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose() => _key?.Dispose();
}
