using System.Text.Json;
using System.Text.Json.Serialization;

namespace Notifier.Worker.Relay;

/// <summary>
/// The event every channel sends: messages were queued for a connection without a live session. One event per burst
/// (coalescing); <see cref="EventId"/> is the same on every retry of the same rows, so receivers can drop duplicates
/// (delivery is at least once).
/// </summary>
/// <param name="Type">Always <c>message.queued</c>.</param>
/// <param name="EventId">Stable id of the notified outbox rows (hex).</param>
/// <param name="ConnectionId">The wallet connection (Pickup.Core connection id).</param>
/// <param name="MessageIds">The queued messages this event announces, oldest first.</param>
/// <param name="Count">How many messages (<c>MessageIds.Count</c>).</param>
/// <param name="Time">Arrival time of the newest of them.</param>
public sealed record QueuedMessagesEvent(
    string Type,
    string EventId,
    string ConnectionId,
    IReadOnlyList<Guid> MessageIds,
    int Count,
    DateTimeOffset Time)
{
    public const string MessageQueued = "message.queued";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>A device that registered for pushes (a row of the mediator's <c>device_info</c>).</summary>
public sealed record DeviceInfo(string ConnectionId, string Service, string Token);

/// <summary>One place a notification goes: a webhook URL, a device token, the SignalR hub.</summary>
/// <param name="Channel">webhook | fcm | apns | signalr.</param>
/// <param name="Key">Short stable key recorded once sent (the address is hashed: tokens can be long).</param>
/// <param name="Address">URL or device token (null for SignalR).</param>
public sealed record NotificationTarget(string Channel, string Key, string? Address);

public enum SendStatus
{
    /// <summary>Accepted by the target.</summary>
    Sent,

    /// <summary>The push service reported the device token invalid; it is removed and not retried.</summary>
    InvalidToken,

    /// <summary>Failed; the rows are retried with backoff.</summary>
    Failed,
}

public sealed record SendOutcome(SendStatus Status, string? Error = null)
{
    public static readonly SendOutcome Ok = new(SendStatus.Sent);

    public static SendOutcome Fail(string error) => new(SendStatus.Failed, error);
}

/// <summary>A way to notify (webhooks, FCM, APNs, SignalR).</summary>
public interface INotificationChannel
{
    /// <summary>webhook | fcm | apns | signalr (the metrics' <c>channel</c> tag).</summary>
    string Name { get; }

    /// <summary>Where this connection's notification goes on this channel (none when off or not registered).</summary>
    IEnumerable<NotificationTarget> TargetsFor(string connectionId, DeviceInfo? device);

    /// <summary>Sends; returns the outcome instead of throwing for errors of the target (timeouts, HTTP errors).</summary>
    Task<SendOutcome> SendAsync(NotificationTarget target, QueuedMessagesEvent notification, CancellationToken cancellationToken);
}

internal static class TargetKeys
{
    public static string For(string channel, string? address) => address is null
        ? channel
        : channel + ":" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(address)))[..24];
}
