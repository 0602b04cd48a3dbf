using System.Diagnostics;
using Pickup.Core;

namespace Mediator.Api.MessagePickup;

/// <summary>
/// The <c>pickup deliver</c> activities (Pickup.Core's <see cref="PickupTelemetry.StartDelivery"/>) of one delivery: one
/// per taken message, each a child of the trace its forward was stored in (the message's stored traceparent) and linked
/// to the current activity (the request or the live session's wake-up). One activity per message rather than one
/// activity for the whole delivery: the messages of one delivery usually come from different senders, i.e. different
/// traces, and each of those traces should run from its forward to its delivery; a single span (parent = the first
/// message, links = the rest) would leave every other sender's trace without its delivery. The cost is one short span
/// per delivered message, bounded by the delivery's batch size.
/// </summary>
internal sealed class DeliveryActivities : IDisposable
{
    private readonly List<Activity> _activities;
    private readonly Activity? _ambient;

    private DeliveryActivities(List<Activity> activities, Activity? ambient)
    {
        _activities = activities;
        _ambient = ambient;
    }

    /// <summary>Starts one activity per message; the current activity stays what it was (the delivery activities are
    /// siblings, not nested in each other).</summary>
    public static DeliveryActivities Start(IReadOnlyList<QueuedMessage> messages, string? sessionId = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var ambient = Activity.Current;
        var started = new List<Activity>(messages.Count);
        try
        {
            foreach (var message in messages)
            {
                Activity.Current = ambient;
                if (PickupTelemetry.StartDelivery(message, sessionId) is { } activity) started.Add(activity);
            }
        }
        finally
        {
            Activity.Current = ambient;
        }
        return new DeliveryActivities(started, ambient);
    }

    /// <summary>Marks every activity of the delivery as failed.</summary>
    public void Fail(Exception error)
    {
        foreach (var activity in _activities)
        {
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
            activity.AddException(error);
        }
    }

    public void Dispose()
    {
        for (var i = _activities.Count - 1; i >= 0; i--) _activities[i].Dispose();
        _activities.Clear();
        Activity.Current = _ambient;
    }
}
