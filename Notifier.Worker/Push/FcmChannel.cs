using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Apis.Auth.OAuth2;
using Microsoft.Extensions.Options;
using Notifier.Worker.Relay;

namespace Notifier.Worker.Push;

/// <summary>
/// Firebase Cloud Messaging, HTTP v1: <c>POST {BaseUrl}/v1/projects/{projectId}/messages:send</c> with an OAuth2
/// access token of the service account (scope <c>firebase.messaging</c>, obtained and refreshed by Google.Apis.Auth
/// from the key's token endpoint, or <see cref="FcmOptions.TokenUri"/>). A token FCM reports as unregistered (404
/// UNREGISTERED) or invalid (400 INVALID_ARGUMENT about the registration token) is invalid; 429, 5xx and the rest are
/// failures the relay retries.
/// </summary>
internal sealed class FcmChannel : INotificationChannel
{
    public const string HttpClientName = "notifier-fcm";
    public const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    private readonly IHttpClientFactory _httpClients;
    private readonly FcmOptions _options;
    private readonly Lazy<(ITokenAccess Credential, string ProjectId)> _credential;

    public FcmChannel(IHttpClientFactory httpClients, IOptions<NotifierOptions> options)
    {
        _httpClients = httpClients;
        _options = options.Value.Fcm;
        Enabled = !string.IsNullOrWhiteSpace(_options.ServiceAccountJson);
        _credential = new Lazy<(ITokenAccess, string)>(CreateCredential, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public bool Enabled { get; }

    public string Name => "fcm";

    public IEnumerable<NotificationTarget> TargetsFor(string connectionId, DeviceInfo? device) =>
        Enabled && device is { Service: "fcm" }
            ? [new NotificationTarget(Name, TargetKeys.For(Name, device.Token), device.Token)]
            : [];

    public async Task<SendOutcome> SendAsync(NotificationTarget target, QueuedMessagesEvent notification, CancellationToken cancellationToken)
    {
        var (credential, projectId) = _credential.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        var accessToken = await credential.GetAccessTokenForRequestAsync(cancellationToken: timeout.Token);

        var message = new JsonObject
        {
            ["token"] = target.Address,
            ["data"] = new JsonObject
            {
                ["type"] = notification.Type,
                ["eventId"] = notification.EventId,
                ["connectionId"] = notification.ConnectionId,
                ["count"] = notification.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["time"] = notification.Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            },
            ["android"] = new JsonObject { ["priority"] = "high" },
        };
        if (_options.Title is not null || _options.Body is not null)
        {
            message["notification"] = new JsonObject { ["title"] = _options.Title, ["body"] = _options.Body };
        }
        var body = new JsonObject { ["message"] = message }.ToJsonString();

        var url = $"{_options.BaseUrl.TrimEnd('/')}/v1/projects/{Uri.EscapeDataString(projectId)}/messages:send";
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
        if (response.IsSuccessStatusCode) return SendOutcome.Ok;

        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        var (status, errorCode, errorMessage) = ParseError(text);
        var invalid = errorCode == "UNREGISTERED"
                      || (response.StatusCode == HttpStatusCode.NotFound && status == "NOT_FOUND")
                      || (response.StatusCode == HttpStatusCode.BadRequest && (status == "INVALID_ARGUMENT" || errorCode == "INVALID_ARGUMENT")
                          && errorMessage.Contains("registration token", StringComparison.OrdinalIgnoreCase));
        var description = $"HTTP {(int)response.StatusCode} {status} {errorCode}: {errorMessage}".Trim();
        return invalid ? new SendOutcome(SendStatus.InvalidToken, description) : SendOutcome.Fail(description);
    }

    private static (string Status, string ErrorCode, string Message) ParseError(string text)
    {
        try
        {
            var error = JsonNode.Parse(text)?["error"];
            var code = error?["details"]?.AsArray()
                .Select(d => d?["errorCode"]?.GetValue<string>())
                .FirstOrDefault(c => c is not null);
            return (error?["status"]?.GetValue<string>() ?? "", code ?? "", error?["message"]?.GetValue<string>() ?? "");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return ("", "", text.Length > 200 ? text[..200] : text);
        }
    }

    private (ITokenAccess, string) CreateCredential()
    {
        var json = JsonNode.Parse(_options.ServiceAccountJson!)!.AsObject();
        if (!string.IsNullOrWhiteSpace(_options.TokenUri)) json["token_uri"] = _options.TokenUri;
        var projectId = string.IsNullOrWhiteSpace(_options.ProjectId) ? json["project_id"]!.GetValue<string>() : _options.ProjectId;
        var serviceAccount = CredentialFactory.FromJson<ServiceAccountCredential>(json.ToJsonString());
        var credential = GoogleCredential.FromServiceAccountCredential(serviceAccount).CreateScoped(Scope);
        return (credential, projectId);
    }
}
