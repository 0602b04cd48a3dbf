using System.Collections.Concurrent;
using System.Diagnostics;
using Notifier.Worker.Tests.Support;
using PickupAspire.TestSupport;

namespace Notifier.Worker.Tests;

public sealed class TraceTests
{
    [Fact]
    public async Task The_notification_continues_the_trace_of_the_queued_message()
    {
        var cs = await Db.NewDatabaseAsync();
        await using var db = new Db(cs);
        await using var hook = await LoopbackServer.StartAsync();
        await using var pickup = await PickupSide.StartAsync(cs);
        var connection = PostgresServer.UniqueName("traced");
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Notifier.Worker",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var notifier = await NotifierTestHost.StartAsync(cs, NotifierTestHost.Defaults(new Uri(hook.BaseUri, "/hook")));

        var traceId = ActivityTraceId.CreateRandom();
        var traceParent = $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01";
        var added = await pickup.Queue.AddMessageAsync(new Pickup.Core.AddMessageRequest(connection, ["k"], new byte[] { 1, 2, 3 }, traceParent));
        Assert.True(added.QueuedForNotifier);

        await Eventually.WaitAsync(() => db.AllAsync(connection, "done"), "outbox row done");
        await Eventually.WaitAsync(() => activities.Any(a => a.OperationName == "notifier.notify" && (string?)a.GetTagItem("pickup.connection_id") == connection),
            "the notify activity stopped");
        var notify = activities.Single(a => a.OperationName == "notifier.notify" && (string?)a.GetTagItem("pickup.connection_id") == connection);
        Assert.Equal(traceId, notify.TraceId);
        var send = activities.Single(a => a.OperationName == "notifier.send webhook" && a.ParentSpanId == notify.SpanId);
        Assert.Equal(traceId, send.TraceId);
        // The webhook request carries the trace on (W3C traceparent) to the receiver.
        Assert.Contains(traceId.ToString(), Assert.Single(hook.Requests).Header("traceparent") ?? "");
    }
}
