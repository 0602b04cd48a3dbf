using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Mediator.Api.MessagePickup;
using Mediator.Api.Tests.Routing;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.Tests.MessagePickup;

/// <summary>A delivery continues the trace of the forward that queued the message, across replicas.</summary>
public class DeliveryTracingTests
{
    [Fact]
    public async Task A_live_delivery_on_replica_A_is_in_the_trace_of_the_forward_posted_to_replica_B()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Mediator.Api" or "Pickup.Core",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var hostA = await RoutingTestApp.StartOnNewDatabaseAsync();
        await using var hostB = await RoutingTestApp.StartAsync(hostA.ConnectionString);
        var wallet = await MediatedWallet.CreateAsync(hostA);
        var connectionId = (await hostA.Connections.FindByTheirVerkeyAsync(wallet.Wallet.Key.Verkey, CancellationToken.None))!.Id.ToString();

        await using var socket = await wallet.Wallet.OpenWebSocketAsync();
        var (inbox, _) = await LiveDeliveryTests.Inbox.GoLiveAsync(socket);

        Assert.Equal(HttpStatusCode.Accepted, await MediatedWallet.PostForwardAsync(hostB, wallet.ForwardEnvelope(wallet.NewInnerEnvelope("traced"))));
        var pushed = Assert.Single(await inbox.NextDeliveryAsync());
        await socket.SendAsync(new MessageBuilder(MessagePickupMessages.MessagesReceived).With("message_id_list", new JsonArray(pushed.Id)));
        await inbox.NextAsync(MessagePickupMessages.Status);

        // The delivery activity stops right after the send: wait for it (bounded).
        Activity? delivery = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((delivery = stopped.FirstOrDefault(a => a.OperationName == "pickup deliver"
                   && (a.GetTagItem("pickup.message_id") as Guid?)?.ToString() == pushed.Id)) is null)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("no 'pickup deliver' activity for the pushed message within 20 s");
            await Task.Delay(50);
        }
        var forward = Assert.Single(stopped, a => a.OperationName == "forward" && (a.GetTagItem("didcomm.connection.id") as string) == connectionId);

        Assert.Equal(forward.TraceId, delivery.TraceId);
        Assert.Equal(ActivityKind.Consumer, delivery.Kind);
        // A child of an activity of the forward's trace on B (the forward or the add under it), not a root.
        Assert.Contains(stopped, a => a.TraceId == forward.TraceId && a.SpanId == delivery.ParentSpanId);
        await LiveDeliveryTests.EndLiveAsync(hostA, socket);
    }
}
