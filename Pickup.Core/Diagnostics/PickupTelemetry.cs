using System.Diagnostics;

namespace Pickup.Core;

/// <summary>Names of Pickup.Core's ActivitySource and Meter (both <c>Pickup.Core</c>), for OpenTelemetry registration:
/// <c>tracing.AddSource(PickupTelemetry.Name)</c>, <c>metrics.AddMeter(PickupTelemetry.Name)</c>.</summary>
public static class PickupTelemetry
{
    public const string Name = "Pickup.Core";

    internal static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>
    /// Starts a <c>pickup deliver</c> activity for a taken message as a child of the trace it was added in (its stored
    /// W3C <see cref="QueuedMessage.TraceParent"/>), linked to the current activity, so that one trace runs from the
    /// sender's forward on one replica to the delivery on another. Dispose it when the delivery (or its acknowledgement)
    /// is done. Returns null when nobody listens.
    /// </summary>
    public static Activity? StartDelivery(QueuedMessage message, string? sessionId = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var current = Activity.Current;
        ActivityLink[]? links = current is null ? null : [new ActivityLink(current.Context)];
        var activity = ActivityContext.TryParse(message.TraceParent, null, out var parent)
            ? ActivitySource.StartActivity("pickup deliver", ActivityKind.Consumer, parent, links: links)
            : ActivitySource.StartActivity("pickup deliver", ActivityKind.Consumer, default(ActivityContext), links: links);
        activity?.SetTag("pickup.message_id", message.Id);
        activity?.SetTag("pickup.connection_id", message.ConnectionId);
        activity?.SetTag("pickup.delivery_count", message.DeliveryCount);
        if (sessionId is not null) activity?.SetTag("pickup.session_id", sessionId);
        return activity;
    }
}
