using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mediator.Api.State;

namespace Mediator.Api.Routing;

/// <summary>The routing protocols' tracing, on the component's ActivitySource (<c>Mediator.Api</c>).</summary>
internal static class RoutingTelemetry
{
    public static readonly ActivitySource ActivitySource = new(MediatorStateMetrics.MeterName);
}

/// <summary>Instruments of the forward path and of pickup, on the component's Meter (<c>Mediator.Api</c>).</summary>
public sealed class RoutingMetrics
{
    private readonly Counter<long> _forwards;
    private readonly Histogram<double> _forwardDuration;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _acknowledged;

    public RoutingMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MediatorStateMetrics.MeterName);
        _forwards = meter.CreateCounter<long>("mediator.forwards", "{forward}", "Forward messages processed, by outcome.");
        _forwardDuration = meter.CreateHistogram<double>("mediator.forward.duration", "s",
            "Time to process a forward (lookup and queue), by outcome.");
        _delivered = meter.CreateCounter<long>("mediator.pickup.delivered", "{message}",
            "Queued messages handed to wallets, by how (batch, delivery, live).");
        _acknowledged = meter.CreateCounter<long>("mediator.pickup.acknowledged", "{message}",
            "Messages acknowledged by messages-received.");
    }

    internal void Forwarded(ForwardOutcome outcome, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome.ToString());
        _forwards.Add(1, tag);
        _forwardDuration.Record(duration.TotalSeconds, tag);
    }

    internal void Delivered(int count, string how)
    {
        if (count > 0) _delivered.Add(count, new KeyValuePair<string, object?>("how", how));
    }

    internal void Acknowledged(int count)
    {
        if (count > 0) _acknowledged.Add(count);
    }
}
