using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mediator.Api.Agent;

/// <summary>The mediator's ActivitySource and Meter (both named <c>Mediator.Api</c>, as ServiceDefaults subscribes).</summary>
public static class MediatorTelemetry
{
    public const string Name = "Mediator.Api";

    public static readonly ActivitySource ActivitySource = new(Name);

    private static readonly Meter s_meter = new(Name);
    private static readonly Counter<long> s_inbound = s_meter.CreateCounter<long>("mediator.inbound.messages", "{message}", "Inbound envelopes by outcome.");
    private static readonly Counter<long> s_outbound = s_meter.CreateCounter<long>("mediator.outbound.messages", "{message}", "Outbound messages by route.");
    private static readonly Histogram<double> s_handle = s_meter.CreateHistogram<double>("mediator.inbound.duration", "ms", "Time to unpack, dispatch and handle one inbound envelope.");

    internal static void Inbound(InboundError error, string? messageType, double milliseconds)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", error.ToString());
        s_inbound.Add(1, outcome, new KeyValuePair<string, object?>("didcomm.message_type", messageType));
        s_handle.Record(milliseconds, outcome);
    }

    internal static void OutboundDelivered(DeliveryRoute route) =>
        s_outbound.Add(1, new KeyValuePair<string, object?>("route", route.ToString()));
}
