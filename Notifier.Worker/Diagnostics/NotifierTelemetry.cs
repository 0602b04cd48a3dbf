using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Notifier.Worker.Diagnostics;

/// <summary>The notifier's ActivitySource and Meter, both named <c>Notifier.Worker</c>.</summary>
public sealed class NotifierTelemetry : IDisposable
{
    public const string Name = "Notifier.Worker";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;

    public NotifierTelemetry(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(Name) ?? new Meter(Name);
        Sent = _meter.CreateCounter<long>("notifier.notifications.sent", "{notification}",
            "Notifications delivered to a target, by channel (webhook, fcm, apns, signalr).");
        Failed = _meter.CreateCounter<long>("notifier.notifications.failed", "{notification}",
            "Notification attempts that failed (to be retried), by channel.");
        DeadLettered = _meter.CreateCounter<long>("notifier.notifications.dead_lettered", "{row}",
            "Outbox rows given up after the last attempt (state 'failed'), by the channel that failed.");
        InvalidTokens = _meter.CreateCounter<long>("notifier.device_tokens.removed", "{token}",
            "Device tokens the push service reported invalid, removed from the mediator's device info, by channel.");
        Coalesced = _meter.CreateCounter<long>("notifier.outbox.coalesced", "{row}",
            "Outbox rows folded into another row's notification (burst coalescing).");
        SkippedDelivered = _meter.CreateCounter<long>("notifier.outbox.skipped_delivered", "{row}",
            "Outbox rows completed without a notification: the message was delivered or acknowledged first.");
        Lag = _meter.CreateHistogram<double>("notifier.relay.lag", "s",
            "Time from the outbox row's creation to its notification being sent.");
        _meter.CreateObservableGauge("notifier.outbox.pending", () => Gauges().Pending, "{row}", "Outbox rows waiting to be relayed.");
        _meter.CreateObservableGauge("notifier.outbox.failed", () => Gauges().Failed, "{row}", "Dead-lettered outbox rows.");
        _meter.CreateObservableGauge("notifier.outbox.oldest_age", () => Gauges().OldestAge, "s", "Age of the oldest pending outbox row.");
    }

    public Counter<long> Sent { get; }
    public Counter<long> Failed { get; }
    public Counter<long> DeadLettered { get; }
    public Counter<long> InvalidTokens { get; }
    public Counter<long> Coalesced { get; }
    public Counter<long> SkippedDelivered { get; }
    public Histogram<double> Lag { get; }

    /// <summary>The latest outbox gauges (refreshed by the relay).</summary>
    public OutboxGauges Current { get; set; } = new(0, 0, 0);

    private OutboxGauges Gauges() => Current;

    public static KeyValuePair<string, object?> Channel(string channel) => new("channel", channel);

    public void Dispose() => _meter.Dispose();
}

public sealed record OutboxGauges(long Pending, long Failed, double OldestAge);
