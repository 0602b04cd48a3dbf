using System.Text;
using System.Text.Json.Nodes;
using Mediator.Api.MessagePickup;
using Mediator.Api.State;
using Mediator.Api.Tests.Routing;
using Mediator.Didcomm.Messages;
using Pickup.Core;

namespace Mediator.Api.Tests.MessagePickup;

public class MessagePickupTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Pickup_v1_batch_returns_the_oldest_messages_and_deletes_them()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var key = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(key);
        await ForwardAsync(replica, key, 3);

        var request = Msg.Build(MessagePickupMessages.BatchPickup, ("batch_size", 2));
        var batch = (await replica.Pickup.HandleBatchPickupAsync(connection, request, None)).ToJson();
        Assert.Equal(MessagePickupMessages.Batch, batch["@type"]!.GetValue<string>());
        Assert.Equal(request.Id, batch["~thread"]!["thid"]!.GetValue<string>());
        var attached = batch["messages~attach"]!.AsArray();
        Assert.Equal([0, 1], attached.Select(a => a!["message"]!["n"]!.GetValue<int>()));
        Assert.All(attached, a => Assert.Equal(a!["@id"]!.GetValue<string>(), a["id"]!.GetValue<string>()));
        Assert.Equal(1, await replica.Queue.GetAvailableMessageCountAsync(connection.Id.ToString(), null, None));

        var rest = (await replica.Pickup.HandleBatchPickupAsync(connection, Msg.Build(MessagePickupMessages.BatchPickup, ("batch_size", 10)), None)).ToJson();
        Assert.Equal([2], rest["messages~attach"]!.AsArray().Select(a => a!["message"]!["n"]!.GetValue<int>()));
        var empty = (await replica.Pickup.HandleBatchPickupAsync(connection, Msg.Build(MessagePickupMessages.BatchPickup, ("batch_size", 10)), None)).ToJson();
        Assert.Empty(empty["messages~attach"]!.AsArray());

        Msg.AssertProblem(await replica.Pickup.HandleBatchPickupAsync(connection, Msg.Build(MessagePickupMessages.BatchPickup), None),
            MessagePickupProblemCodes.InvalidMessage);
        Msg.AssertProblem(await replica.Pickup.HandleBatchPickupAsync(connection, Msg.Build(MessagePickupMessages.BatchPickup, ("batch_size", 0)), None),
            MessagePickupProblemCodes.InvalidMessage);
        Msg.AssertProblem(await replica.Pickup.HandleBatchPickupAsync(connection, Msg.Build(MessagePickupMessages.BatchPickup, ("batch_size", "5")), None),
            MessagePickupProblemCodes.InvalidMessage);
    }

    [Fact]
    public async Task Pickup_v2_status_counts_and_times_the_available_messages()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var keyA = Keys.NewVerkey();
        var keyB = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(keyA, keyB);

        var empty = (await replica.Pickup.HandleStatusRequestAsync(connection, Msg.Build(MessagePickupMessages.StatusRequest), null, None)).ToJson();
        Assert.Equal(MessagePickupMessages.Status, empty["@type"]!.GetValue<string>());
        Assert.Equal(0, empty["message_count"]!.GetValue<int>());
        Assert.Null(empty["oldest_received_time"]);

        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var sizes = await ForwardAsync(replica, keyA, 2);
        sizes += await ForwardAsync(replica, keyB, 1);
        var request = Msg.Build(MessagePickupMessages.StatusRequest);
        var status = (await replica.Pickup.HandleStatusRequestAsync(connection, request, null, None)).ToJson();
        Assert.Equal(request.Id, status["~thread"]!["thid"]!.GetValue<string>());
        Assert.Equal(3, status["message_count"]!.GetValue<int>());
        Assert.Equal(sizes, status["total_bytes"]!.GetValue<long>());
        var oldest = DateTimeOffset.Parse(status["oldest_received_time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var newest = DateTimeOffset.Parse(status["newest_received_time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(oldest, before, newest);
        Assert.InRange(status["longest_waited_seconds"]!.GetValue<long>(), 0, 60);
        Assert.Null(status["live_delivery"]);

        var byKey = (await replica.Pickup.HandleStatusRequestAsync(connection,
            Msg.Build(MessagePickupMessages.StatusRequest, ("recipient_key", RecipientKeys.ToDidKey(keyB))), null, None)).ToJson();
        Assert.Equal(1, byKey["message_count"]!.GetValue<int>());
        Assert.Equal(RecipientKeys.ToDidKey(keyB), byKey["recipient_key"]!.GetValue<string>());

        Msg.AssertProblem(await replica.Pickup.HandleStatusRequestAsync(connection,
            Msg.Build(MessagePickupMessages.StatusRequest, ("recipient_key", "nope")), null, None), MessagePickupProblemCodes.InvalidMessage);
        Msg.AssertProblem(await replica.Pickup.HandleStatusRequestAsync(null, Msg.Build(MessagePickupMessages.StatusRequest), null, None),
            MessagePickupProblemCodes.ConnectionNotReady);
    }

    [Fact]
    public async Task Pickup_v2_delivery_leases_until_messages_received_removes_them()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var key = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(key);
        await ForwardAsync(replica, key, 3);

        var request = Msg.Build(MessagePickupMessages.DeliveryRequest, ("limit", 2));
        var delivery = (await replica.Pickup.HandleDeliveryRequestAsync(connection, request, null, None)).ToJson();
        Assert.Equal(MessagePickupMessages.Delivery, delivery["@type"]!.GetValue<string>());
        Assert.Equal(request.Id, delivery["~thread"]!["thid"]!.GetValue<string>());
        var attachments = delivery["~attach"]!.AsArray();
        Assert.Equal([0, 1], attachments.Select(a => a!["data"]!["json"]!["n"]!.GetValue<int>()));
        var ids = attachments.Select(a => a!["@id"]!.GetValue<string>()).ToList();
        Assert.All(attachments, a => Assert.NotNull(a!["lastmod_time"]));

        // Leased, not gone: the status shows only the third; a second request gets only the third.
        var status = (await replica.Pickup.HandleStatusRequestAsync(connection, Msg.Build(MessagePickupMessages.StatusRequest), null, None)).ToJson();
        Assert.Equal(1, status["message_count"]!.GetValue<int>());

        var received = Msg.Build(MessagePickupMessages.MessagesReceived, ("message_id_list", new JsonArray([.. ids.Select(i => (JsonNode?)i), "not-a-uuid", Guid.NewGuid().ToString()])));
        var afterAck = (await replica.Pickup.HandleMessagesReceivedAsync(connection, received, null, None))!.ToJson();
        Assert.Equal(MessagePickupMessages.Status, afterAck["@type"]!.GetValue<string>());
        Assert.Equal(received.Id, afterAck["~thread"]!["thid"]!.GetValue<string>());
        Assert.Equal(1, afterAck["message_count"]!.GetValue<int>());

        var last = (await replica.Pickup.HandleDeliveryRequestAsync(connection, Msg.Build(MessagePickupMessages.DeliveryRequest, ("limit", 10)), null, None)).ToJson();
        var lastId = Assert.Single(last["~attach"]!.AsArray())!["@id"]!.GetValue<string>();
        Assert.DoesNotContain(lastId, ids);
        await replica.Pickup.HandleMessagesReceivedAsync(connection,
            Msg.Build(MessagePickupMessages.MessagesReceived, ("message_id_list", new JsonArray(lastId))), null, None);

        var none = (await replica.Pickup.HandleDeliveryRequestAsync(connection, Msg.Build(MessagePickupMessages.DeliveryRequest, ("limit", 10)), null, None)).ToJson();
        Assert.Equal(MessagePickupMessages.Status, none["@type"]!.GetValue<string>());
        Assert.Equal(0, none["message_count"]!.GetValue<int>());

        Msg.AssertProblem(await replica.Pickup.HandleDeliveryRequestAsync(connection, Msg.Build(MessagePickupMessages.DeliveryRequest), null, None),
            MessagePickupProblemCodes.InvalidMessage);
        Msg.AssertProblem(await replica.Pickup.HandleDeliveryRequestAsync(connection, Msg.Build(MessagePickupMessages.DeliveryRequest, ("limit", -1)), null, None),
            MessagePickupProblemCodes.InvalidMessage);
        Msg.AssertProblem(await replica.Pickup.HandleMessagesReceivedAsync(connection, Msg.Build(MessagePickupMessages.MessagesReceived), null, None),
            MessagePickupProblemCodes.InvalidMessage);
        Msg.AssertProblem(await replica.Pickup.HandleMessagesReceivedAsync(connection,
            Msg.Build(MessagePickupMessages.MessagesReceived, ("message_id_list", new JsonArray(1, 2))), null, None), MessagePickupProblemCodes.InvalidMessage);
    }

    [Fact]
    public async Task Delivery_request_honours_the_recipient_key_filter_and_other_connections_acks_do_nothing()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var keyA = Keys.NewVerkey();
        var keyB = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(keyA, keyB);
        var stranger = await replica.CreateMediatedConnectionAsync(Keys.NewVerkey());
        await ForwardAsync(replica, keyA, 2);
        await ForwardAsync(replica, keyB, 2, start: 10);

        var request = Msg.Build(MessagePickupMessages.DeliveryRequest, ("limit", 10), ("recipient_key", keyB));
        var delivery = (await replica.Pickup.HandleDeliveryRequestAsync(connection, request, null, None)).ToJson();
        Assert.Equal([10, 11], delivery["~attach"]!.AsArray().Select(a => a!["data"]!["json"]!["n"]!.GetValue<int>()));
        Assert.Equal(keyB, delivery["recipient_key"]!.GetValue<string>());
        var ids = delivery["~attach"]!.AsArray().Select(a => (JsonNode?)a!["@id"]!.GetValue<string>()).ToArray();

        // Someone else acknowledging these ids removes nothing.
        await replica.Pickup.HandleMessagesReceivedAsync(stranger, Msg.Build(MessagePickupMessages.MessagesReceived, ("message_id_list", new JsonArray(ids))), null, None);
        Assert.Equal(ids.Length, await replica.Queue.RemoveMessagesAsync(connection.Id.ToString(), [.. ids.Select(i => Guid.Parse(i!.GetValue<string>()))], None));
        Assert.Equal(2, await replica.Queue.GetAvailableMessageCountAsync(connection.Id.ToString(), keyA, None));
    }

    [Fact]
    public async Task Live_delivery_change_off_a_websocket_is_refused_with_live_mode_not_supported()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateMediatedConnectionAsync(Keys.NewVerkey());
        Msg.AssertProblem(await replica.Pickup.HandleLiveDeliveryChangeAsync(connection,
            Msg.Build(MessagePickupMessages.LiveDeliveryChange, ("live_delivery", true)), null, null, None), MessagePickupProblemCodes.LiveModeNotSupported);
        Msg.AssertProblem(await replica.Pickup.HandleLiveDeliveryChangeAsync(connection,
            Msg.Build(MessagePickupMessages.LiveDeliveryChange, ("live_delivery", "yes")), "s", (_, _) => Task.CompletedTask, None), MessagePickupProblemCodes.InvalidMessage);
        Assert.Equal(0, replica.Live.Count);
    }

    [Fact]
    public async Task Messages_received_is_answered_with_the_status_after_its_own_delete_even_for_messages_never_taken()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var key = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(key);
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var result = await replica.Forwards.ForwardAsync(Encoding.UTF8.GetBytes(
                $"{{\"@type\":\"https://didcomm.org/routing/1.0/forward\",\"@id\":\"f{i}\",\"to\":\"{key}\",\"msg\":{{\"n\":{i}}}}}"), None);
            ids.Add(result.Added!.Id);
        }

        // Two of the three acknowledged while still pending (a wallet may acknowledge ids it got before a redelivery):
        // the status is read in the delete's own statement and must not count the rows that statement deleted.
        var received = Msg.Build(MessagePickupMessages.MessagesReceived, ("message_id_list", new JsonArray(ids[0].ToString(), ids[2].ToString())));
        var status = (await replica.Pickup.HandleMessagesReceivedAsync(connection, received, null, None))!.ToJson();
        Assert.Equal(MessagePickupMessages.Status, status["@type"]!.GetValue<string>());
        Assert.Equal(received.Id, status["~thread"]!["thid"]!.GetValue<string>());
        Assert.Equal(1, status["message_count"]!.GetValue<int>());
        Assert.Equal(Encoding.UTF8.GetByteCount("{\"n\":1}"), status["total_bytes"]!.GetValue<long>());
        Assert.Equal(status["oldest_received_time"]!.GetValue<string>(), status["newest_received_time"]!.GetValue<string>());
        Assert.Equal(1, await replica.Queue.GetAvailableMessageCountAsync(connection.Id.ToString(), null, None));

        // Only unknown ids: nothing deleted, the status is unchanged.
        var again = (await replica.Pickup.HandleMessagesReceivedAsync(connection,
            Msg.Build(MessagePickupMessages.MessagesReceived, ("message_id_list", new JsonArray(ids[0].ToString(), "not-a-uuid"))), null, None))!.ToJson();
        Assert.Equal(1, again["message_count"]!.GetValue<int>());
    }

    /// <summary>Forwards <paramref name="count"/> messages <c>{"n": i}</c> to <paramref name="key"/>; returns their total size.</summary>
    internal static async Task<long> ForwardAsync(RoutingReplica replica, string key, int count, int start = 0)
    {
        long bytes = 0;
        for (var i = start; i < start + count; i++)
        {
            var msg = $"{{\"n\":{i}}}";
            bytes += Encoding.UTF8.GetByteCount(msg);
            var result = await replica.Forwards.ForwardAsync(Encoding.UTF8.GetBytes(
                $"{{\"@type\":\"https://didcomm.org/routing/1.0/forward\",\"@id\":\"f{i}\",\"to\":\"{key}\",\"msg\":{msg}}}"), None);
            Assert.True(result.IsStored, result.Reason);
        }
        return bytes;
    }
}
