using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Notifier.Worker.Relay;

namespace Notifier.Worker.Webhooks;

/// <summary>POSTs the event as JSON to every configured URL, signed (see <see cref="WebhookSignature"/>). Any 2xx is
/// success; anything else, a timeout or a connection error is a failure that the relay retries.</summary>
internal sealed class WebhookChannel(IHttpClientFactory httpClients, IOptions<NotifierOptions> options, TimeProvider time) : INotificationChannel
{
    public const string HttpClientName = "notifier-webhooks";

    private readonly WebhookOptions _options = options.Value.Webhooks;

    public string Name => "webhook";

    public IEnumerable<NotificationTarget> TargetsFor(string connectionId, DeviceInfo? device) =>
        _options.Urls.Select(url => new NotificationTarget(Name, TargetKeys.For(Name, url), url));

    public async Task<SendOutcome> SendAsync(NotificationTarget target, QueuedMessagesEvent notification, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(notification, QueuedMessagesEvent.Json);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Address);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(_options.SigningSecret!, timestamp, body));
        request.Headers.Add(WebhookSignature.EventIdHeader, notification.EventId);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
        return response.IsSuccessStatusCode
            ? SendOutcome.Ok
            : SendOutcome.Fail($"HTTP {(int)response.StatusCode} from {Describe(target.Address!)}");
    }

    /// <summary>The URL without user info and query (which may carry credentials) for logs and <c>last_error</c>.</summary>
    private static string Describe(string url)
    {
        var uri = new Uri(url);
        return $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}";
    }
}
