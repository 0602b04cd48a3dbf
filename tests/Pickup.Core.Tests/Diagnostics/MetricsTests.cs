using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Diagnostics;

public class MetricsTests
{
    [Fact]
    public async Task Counters_and_gauges_report_what_happened_on_this_instance()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o =>
            o.GaugeRefreshInterval = TimeSpan.FromMilliseconds(50));
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var totals = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PickupTelemetry.Name && instrument.Meter.Scope == factory) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument is ObservableGauge<long>) totals[instrument.Name] = value;
            else totals.AddOrUpdate(instrument.Name, value, (_, old) => old + value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => totals[instrument.Name] = value);
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => totals[instrument.Name] = value);
        listener.Start();

        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == PickupTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);

        var a = await host.Queue.AddMessageAsync(new AddMessageRequest("m", ["k"], new byte[] { 1 }));
        await host.Queue.AddMessageAsync(new AddMessageRequest("m", ["k"], new byte[] { 2 }));
        await host.Queue.AddMessageAsync(new AddMessageRequest("m", ["k"], new byte[] { 3 }));
        var taken = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("m", Limit: 2));
        await host.Queue.RemoveMessagesAsync("m", [a.Id]);

        Assert.Equal(3, totals.GetValueOrDefault("pickup.messages.queued"));
        Assert.Equal(2, totals.GetValueOrDefault("pickup.messages.delivered"));
        Assert.Equal(1, totals.GetValueOrDefault("pickup.messages.acknowledged"));
        Assert.Contains(spans, s => s.OperationName == "pickup add" && (Guid?)s.GetTagItem("pickup.message_id") == a.Id);
        // The add's trace context travels with the row.
        var addSpan = spans.First(s => s.OperationName == "pickup add" && (Guid?)s.GetTagItem("pickup.message_id") == a.Id);
        Assert.Equal(addSpan.Id, taken.Single(m => m.Id == a.Id).TraceParent);
        using (var delivery = PickupTelemetry.StartDelivery(taken.Single(m => m.Id == a.Id), "socket"))
        {
            Assert.NotNull(delivery);
            Assert.Equal(addSpan.TraceId, delivery.TraceId);
            Assert.Equal(addSpan.SpanId, delivery.ParentSpanId);
        }

        // A same-instance wake-up records its latency.
        await host.Sessions.RegisterSessionAsync("live", "socket");
        var live = await host.Queue.AddMessageAsync(new AddMessageRequest("live", ["k"], new byte[] { 4 }));
        await host.Deliveries.WaitForAsync(w => w.HintedIds.Contains(live.Id), "the local wake-up");
        await Eventually.TrueAsync(() => Task.FromResult(totals.ContainsKey("pickup.wakeup.latency")), "a wake-up latency measurement");
        Assert.InRange(totals["pickup.wakeup.latency"], 0, 10_000);
        await host.Queue.RemoveMessagesAsync("live", [live.Id]);

        await Eventually.TrueAsync(() =>
        {
            listener.RecordObservableInstruments();
            return Task.FromResult(totals.GetValueOrDefault("pickup.queue.depth") == 2 && totals.GetValueOrDefault("pickup.queue.oldest_age") > 0);
        }, "queue depth 2 and an oldest age");
    }
}
