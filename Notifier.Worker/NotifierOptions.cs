using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Notifier.Worker;

/// <summary>Options of the notifier, bound from the <c>Notifier</c> configuration section and validated at start.</summary>
public sealed class NotifierOptions
{
    public const string Section = "Notifier";

    /// <summary>Pickup.Core's schema (whose <c>outbox</c> and <c>messages</c> tables are read).</summary>
    [Required, MaxLength(30), RegularExpression("^[a-z_][a-z0-9_]*$")]
    public string PickupSchema { get; set; } = "pickup";

    /// <summary>The notifier's own schema (per-target send records).</summary>
    [Required, MaxLength(30), RegularExpression("^[a-z_][a-z0-9_]*$")]
    public string Schema { get; set; } = "notifier";

    /// <summary>The mediator's schema (whose <c>device_info</c> table is read).</summary>
    [Required, MaxLength(63), RegularExpression("^[a-z_][a-z0-9_]*$")]
    public string MediatorSchema { get; set; } = "mediator";

    /// <summary>Migrate Pickup.Core's schema and the notifier's own at start (serialised by advisory locks).</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>This worker's id, recorded as the outbox lease owner. Default: generated (machine name + random suffix).</summary>
    [MaxLength(100), RegularExpression("^[A-Za-z0-9._-]+$")]
    public string? WorkerId { get; set; }

    [Required, ValidateObjectMembers]
    public RelayOptions Relay { get; set; } = new();

    [Required, ValidateObjectMembers]
    public WebhookOptions Webhooks { get; set; } = new();

    [Required, ValidateObjectMembers]
    public FcmOptions Fcm { get; set; } = new();

    [Required, ValidateObjectMembers]
    public ApnsOptions Apns { get; set; } = new();

    [Required, ValidateObjectMembers]
    public SignalROptions SignalR { get; set; } = new();
}

/// <summary>How the outbox is relayed.</summary>
public sealed class RelayOptions
{
    /// <summary>A connection's outbox rows are sent once its oldest pending row is this old: a burst within the window
    /// gives one notification. Zero sends at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The fallback poll when no NOTIFY arrives (NOTIFY is a hint; the table is the truth).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections claimed per batch.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 50;

    /// <summary>Connections notified in parallel within a batch.</summary>
    [Range(1, 256)]
    public int MaxParallelism { get; set; } = 8;

    /// <summary>How long claimed rows stay leased to this worker; a crashed worker's rows come back after it. Must exceed
    /// the time one notification can take (all targets, their timeouts).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts after which a row is dead-lettered (state <c>failed</c>).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Delay before the first retry; doubles per attempt up to <see cref="RetryMaxDelay"/>, with jitter (50-100%).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the outbox gauges (pending, failed, oldest age) are recomputed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan GaugeRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First delay before the outbox listener reconnects (doubles up to <see cref="ListenerMaxReconnectDelay"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ListenerReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ListenerMaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Signed webhooks. Off when <see cref="Urls"/> is empty.</summary>
public sealed class WebhookOptions
{
    /// <summary>Absolute http(s) URLs that receive every event.</summary>
    public string[] Urls { get; set; } = [];

    /// <summary>HMAC-SHA256 key (UTF-8 bytes) of the signature header. Required (16+ characters) when URLs are set.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>Timeout of one POST.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Firebase Cloud Messaging (HTTP v1). Off when <see cref="ServiceAccountJson"/> is empty.</summary>
public sealed class FcmOptions
{
    /// <summary>The service account key file's JSON.</summary>
    public string? ServiceAccountJson { get; set; }

    /// <summary>Firebase project id. Default: the key's <c>project_id</c>.</summary>
    public string? ProjectId { get; set; }

    [Required, Url]
    public string BaseUrl { get; set; } = "https://fcm.googleapis.com";

    /// <summary>OAuth2 token endpoint. Default: the key's <c>token_uri</c>.</summary>
    [Url]
    public string? TokenUri { get; set; }

    /// <summary>Visible notification title (omit both title and body for a data-only message).</summary>
    public string? Title { get; set; } = "New messages";

    public string? Body { get; set; } = "You have new messages.";

    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Apple Push Notification service (HTTP/2, token auth). Off when <see cref="Key"/> is empty.</summary>
public sealed class ApnsOptions
{
    /// <summary>The .p8 signing key (PEM, "BEGIN PRIVATE KEY").</summary>
    public string? Key { get; set; }

    /// <summary>The key's id (10 characters), the JWT's <c>kid</c>.</summary>
    public string? KeyId { get; set; }

    /// <summary>The Apple developer team id, the JWT's <c>iss</c>.</summary>
    public string? TeamId { get; set; }

    /// <summary>The app's bundle id (<c>apns-topic</c>).</summary>
    public string? Topic { get; set; }

    [Required, Url]
    public string BaseUrl { get; set; } = "https://api.push.apple.com";

    /// <summary><c>alert</c> (visible, with title/body) or <c>background</c> (content-available).</summary>
    [Required, RegularExpression("^(alert|background)$")]
    public string PushType { get; set; } = "alert";

    public string? Title { get; set; } = "New messages";

    public string? Body { get; set; } = "You have new messages.";

    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a provider token (JWT) is reused; Apple accepts 20 to 60 minutes.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "00:59:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(50);
}

/// <summary>The SignalR hub for subscribers.</summary>
public sealed class SignalROptions
{
    /// <summary>Keys that authorise a subscriber (header <c>X-Api-Key</c>, <c>Authorization: Bearer</c> or the
    /// <c>access_token</c> query parameter). No keys: every connection to the hub is refused.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Most connection ids one hub client may subscribe to.</summary>
    [Range(1, 100_000)]
    public int MaxSubscriptionsPerClient { get; set; } = 1000;
}

/// <summary>Rules across options that data annotations cannot express.</summary>
internal sealed class NotifierOptionsValidator : IValidateOptions<NotifierOptions>
{
    public ValidateOptionsResult Validate(string? name, NotifierOptions options)
    {
        var failures = new List<string>();
        var relay = options.Relay;
        if (relay.RetryMaxDelay < relay.RetryBaseDelay)
            failures.Add("Notifier:Relay:RetryMaxDelay must not be less than RetryBaseDelay.");
        if (relay.ListenerMaxReconnectDelay < relay.ListenerReconnectDelay)
            failures.Add("Notifier:Relay:ListenerMaxReconnectDelay must not be less than ListenerReconnectDelay.");

        var webhooks = options.Webhooks;
        foreach (var url in webhooks.Urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                failures.Add($"Notifier:Webhooks:Urls: '{url}' is not an absolute http(s) URL.");
        }
        if (webhooks.Urls.Length > 0 && (webhooks.SigningSecret?.Length ?? 0) < 16)
            failures.Add("Notifier:Webhooks:SigningSecret must be set (16+ characters) when webhook URLs are configured.");

        if (!string.IsNullOrWhiteSpace(options.Fcm.ServiceAccountJson))
        {
            try
            {
                var json = System.Text.Json.Nodes.JsonNode.Parse(options.Fcm.ServiceAccountJson);
                if (json?["type"]?.GetValue<string>() != "service_account")
                    failures.Add("Notifier:Fcm:ServiceAccountJson is not a service account key (type must be 'service_account').");
                else if (string.IsNullOrWhiteSpace(options.Fcm.ProjectId) && string.IsNullOrWhiteSpace(json["project_id"]?.GetValue<string>()))
                    failures.Add("Notifier:Fcm:ProjectId must be set when the service account key has no project_id.");
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
            {
                failures.Add($"Notifier:Fcm:ServiceAccountJson is not valid JSON: {e.Message}");
            }
        }

        var apns = options.Apns;
        if (!string.IsNullOrWhiteSpace(apns.Key))
        {
            if (string.IsNullOrWhiteSpace(apns.KeyId)) failures.Add("Notifier:Apns:KeyId must be set when Notifier:Apns:Key is.");
            if (string.IsNullOrWhiteSpace(apns.TeamId)) failures.Add("Notifier:Apns:TeamId must be set when Notifier:Apns:Key is.");
            if (string.IsNullOrWhiteSpace(apns.Topic)) failures.Add("Notifier:Apns:Topic must be set when Notifier:Apns:Key is.");
            try
            {
                using var key = System.Security.Cryptography.ECDsa.Create();
                key.ImportFromPem(apns.Key);
            }
            catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                failures.Add($"Notifier:Apns:Key is not a PEM EC private key (.p8): {e.Message}");
            }
        }

        if (options.SignalR.ApiKeys.Any(k => k.Length < 16))
            failures.Add("Notifier:SignalR:ApiKeys: every key must have 16+ characters.");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
