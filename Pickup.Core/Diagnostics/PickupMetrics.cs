using System.Diagnostics.Metrics;
using Npgsql;

namespace Pickup.Core;

/// <summary>
/// The <c>Pickup.Core</c> meter: counters <c>pickup.messages.queued</c>, <c>.delivered</c>, <c>.acknowledged</c>,
/// <c>.redelivered</c>, <c>.dead_lettered</c>, <c>.expired</c>, <c>pickup.notifications.sent</c>; histogram
/// <c>pickup.wakeup.latency</c> (ms, add commit to handler call, tagged local/notify); observable gauges
/// <c>pickup.queue.depth</c>, <c>pickup.queue.oldest_age</c> (seconds), <c>pickup.queue.dead_letters</c> (whole
/// database, recomputed at most every <see cref="PickupOptions.GaugeRefreshInterval"/> and only while something collects)
/// and <c>pickup.sessions.live</c> (this instance).
/// </summary>
internal sealed class PickupMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private GaugeSnapshot _snapshot = new(0, 0, 0, DateTimeOffset.MinValue);
    private int _refreshing;

    public PickupMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(PickupTelemetry.Name) ?? new Meter(PickupTelemetry.Name);
        Queued = _meter.CreateCounter<long>("pickup.messages.queued", "{message}", "Messages added to the queue.");
        Delivered = _meter.CreateCounter<long>("pickup.messages.delivered", "{message}", "Messages handed out by takes.");
        Acknowledged = _meter.CreateCounter<long>("pickup.messages.acknowledged", "{message}", "Messages deleted by acknowledgement.");
        Redelivered = _meter.CreateCounter<long>("pickup.messages.redelivered", "{message}", "Takes of messages delivered before.");
        DeadLettered = _meter.CreateCounter<long>("pickup.messages.dead_lettered", "{message}", "Messages moved to the dead-letter state.");
        Expired = _meter.CreateCounter<long>("pickup.messages.expired", "{message}", "Messages purged after their time to live.");
        NotificationsSent = _meter.CreateCounter<long>("pickup.notifications.sent", "{notification}", "NOTIFYs sent to other instances.");
        WakeupLatency = _meter.CreateHistogram<double>("pickup.wakeup.latency", "ms",
            "From the add's commit to the delivery handler call on the session's instance (tag pickup.wakeup.path: local or notify).");
        _meter.CreateObservableGauge("pickup.queue.depth", () => Snapshot().Depth, "{message}", "Messages queued (not dead-lettered).");
        _meter.CreateObservableGauge("pickup.queue.oldest_age", () => Snapshot().OldestAgeSeconds, "s", "Age of the oldest queued message.");
        _meter.CreateObservableGauge("pickup.queue.dead_letters", () => Snapshot().DeadLetters, "{message}", "Dead-lettered messages.");
        _meter.CreateObservableGauge("pickup.sessions.live", () => LiveSessions?.Invoke() ?? 0, "{session}", "Live sessions on this instance.");
    }

    public Counter<long> Queued { get; }
    public Counter<long> Delivered { get; }
    public Counter<long> Acknowledged { get; }
    public Counter<long> Redelivered { get; }
    public Counter<long> DeadLettered { get; }
    public Counter<long> Expired { get; }
    public Counter<long> NotificationsSent { get; }
    public Histogram<double> WakeupLatency { get; }

    /// <summary>Set by the runtime: computes the gauges from the database.</summary>
    internal Func<CancellationToken, Task<GaugeSnapshot>>? GaugeSource { get; set; }

    internal Func<int>? LiveSessions { get; set; }

    internal TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    internal TimeProvider Time { get; set; } = TimeProvider.System;

    private GaugeSnapshot Snapshot()
    {
        var snapshot = _snapshot;
        if (GaugeSource is { } source && Time.GetUtcNow() - snapshot.At >= RefreshInterval
            && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    _snapshot = await source(timeout.Token);
                }
                catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
                {
                    // Stale gauges are better than none; the next collection retries.
                }
                finally
                {
                    Volatile.Write(ref _refreshing, 0);
                }
            });
        }
        return snapshot;
    }

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }

    internal sealed record GaugeSnapshot(long Depth, long DeadLetters, double OldestAgeSeconds, DateTimeOffset At);
}
