using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Mediator.Api.MessagePickup;
using Mediator.Api.Tests.Routing;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Mediator.Api.Tests.MessagePickup;

/// <summary>
/// The live send loop takes once per wake-up (no empty take after each delivery), takes again while its takes come back
/// full, and pushes what is waiting in one <c>delivery</c> of up to LiveBatchSize. Real mediator, WebSocket, PostgreSQL.
/// </summary>
public class LiveDeliveryBatchingTests
{
    // Sweeps only every 10 minutes: a message left behind by the send loop would not come in time by another path.
    private static readonly Dictionary<string, string?> SlowSweeps = new()
    {
        ["Pickup:SweepInterval"] = "00:10:00",
        ["Mediator:MessagePickup:LiveBatchSize"] = "3",
    };

    [Fact]
    public async Task A_backlog_larger_than_the_batch_comes_in_full_deliveries_until_none_is_left()
    {
        await using var host = await RoutingTestApp.StartOnNewDatabaseAsync(SlowSweeps);
        var wallet = await MediatedWallet.CreateAsync(host);
        var envelopes = Enumerable.Range(0, 7).Select(i => wallet.NewInnerEnvelope($"backlog {i}")).ToList();
        foreach (var envelope in envelopes)
            Assert.Equal(HttpStatusCode.Accepted, await MediatedWallet.PostForwardAsync(host, wallet.ForwardEnvelope(envelope)));

        await using var socket = await wallet.Wallet.OpenWebSocketAsync();
        var (inbox, status) = await LiveDeliveryTests.Inbox.GoLiveAsync(socket);
        Assert.Equal(7, status.Message.GetInteger("message_count"));

        // One wake-up (the session's start): takes of 3, 3 and 1, in arrival order, nothing twice.
        var sizes = new List<int>();
        var got = new List<LiveDeliveryTests.Attached>();
        while (got.Count < envelopes.Count)
        {
            var delivery = await inbox.NextDeliveryAsync();
            sizes.Add(delivery.Count);
            got.AddRange(delivery);
        }
        Assert.Equal([3, 3, 1], sizes);
        Assert.Equal(envelopes.Count, got.Select(a => a.Id).Distinct().Count());
        for (var i = 0; i < envelopes.Count; i++)
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(envelopes[i]), got[i].Json), $"message {i} out of order or changed");

        // Acknowledged on the socket: one status answers, counting what is left (nothing).
        await socket.SendAsync(new MessageBuilder(MessagePickupMessages.MessagesReceived)
            .With("message_id_list", new JsonArray([.. got.Select(a => (JsonNode?)a.Id)])));
        Assert.Equal(0, (await inbox.NextAsync(MessagePickupMessages.Status)).Message.GetInteger("message_count"));
        await LiveDeliveryTests.EndLiveAsync(host, socket);
    }

    [Fact]
    public async Task Each_new_forward_is_pushed_after_one_take_and_no_empty_take_follows_a_delivery()
    {
        var takes = new ConcurrentQueue<(string? Connection, int Count)>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Pickup.Core",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == "pickup take")
                    takes.Enqueue((a.GetTagItem("pickup.connection_id") as string, a.GetTagItem("pickup.take.count") is int n ? n : -1));
            },
        };
        ActivitySource.AddActivityListener(listener);

        await using var host = await RoutingTestApp.StartOnNewDatabaseAsync(SlowSweeps);
        var wallet = await MediatedWallet.CreateAsync(host);
        var connectionId = (await host.Connections.FindByTheirVerkeyAsync(wallet.Wallet.Key.Verkey, CancellationToken.None))!.Id.ToString();
        await using var socket = await wallet.Wallet.OpenWebSocketAsync();
        var (inbox, _) = await LiveDeliveryTests.Inbox.GoLiveAsync(socket);

        // The first forward: its delivery comes after the session's start-up takes (which find nothing) have ended.
        Assert.Equal(HttpStatusCode.Accepted, await MediatedWallet.PostForwardAsync(host, wallet.ForwardEnvelope(wallet.NewInnerEnvelope("first"))));
        await AcknowledgeAsync(socket, inbox, await inbox.NextDeliveryAsync());
        takes.Clear();

        const int forwards = 5;
        for (var i = 0; i < forwards; i++)
        {
            var envelope = wallet.NewInnerEnvelope($"one at a time {i}");
            Assert.Equal(HttpStatusCode.Accepted, await MediatedWallet.PostForwardAsync(host, wallet.ForwardEnvelope(envelope)));
            var pushed = await inbox.NextDeliveryAsync();
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(envelope), Assert.Single(pushed).Json));
            await AcknowledgeAsync(socket, inbox, pushed);
        }

        // Every forward woke the loop once and its take found it; a loop that took again after each delivery would
        // show one empty take per forward here (it runs right after the send, before the acknowledgement returns).
        var mine = takes.Where(t => t.Connection == connectionId).ToList();
        Assert.Equal(forwards, mine.Count(t => t.Count == 1));
        Assert.True(mine.Count(t => t.Count == 0) <= 1, $"empty takes after deliveries: {mine.Count(t => t.Count == 0)} of {mine.Count} takes");
        await LiveDeliveryTests.EndLiveAsync(host, socket);
    }

    [Fact]
    public async Task With_StatusAfterLiveAcknowledgement_off_a_live_acknowledgement_deletes_without_a_status_and_other_acks_keep_theirs()
    {
        await using var host = await RoutingTestApp.StartOnNewDatabaseAsync(new Dictionary<string, string?>
        {
            ["Mediator:MessagePickup:StatusAfterLiveAcknowledgement"] = "false",
        });
        var wallet = await MediatedWallet.CreateAsync(host);
        var connectionId = (await host.Connections.FindByTheirVerkeyAsync(wallet.Wallet.Key.Verkey, CancellationToken.None))!.Id.ToString();
        await using var socket = await wallet.Wallet.OpenWebSocketAsync();
        var (inbox, _) = await LiveDeliveryTests.Inbox.GoLiveAsync(socket);

        Assert.Equal(HttpStatusCode.Accepted, await MediatedWallet.PostForwardAsync(host, wallet.ForwardEnvelope(wallet.NewInnerEnvelope("live"))));
        var pushed = Assert.Single(await inbox.NextDeliveryAsync());
        await socket.SendAsync(new MessageBuilder(MessagePickupMessages.MessagesReceived).With("message_id_list", new JsonArray(pushed.Id)));
        // The socket's messages are handled in order: had the acknowledgement been answered, that status would come first.
        var request = new MessageBuilder(MessagePickupMessages.StatusRequest);
        await socket.SendAsync(request);
        var status = await inbox.NextAsync(MessagePickupMessages.Status);
        Assert.Equal(request.Id, status.Message.Thread?.ThreadId);
        Assert.Equal(0, status.Message.GetInteger("message_count"));
        await using (var rows = host.Services.GetRequiredService<Npgsql.NpgsqlDataSource>()
            .CreateCommand("SELECT count(*) FROM pickup.messages WHERE connection_id = $1"))
        {
            rows.Parameters.Add(new Npgsql.NpgsqlParameter { Value = connectionId });
            Assert.Equal(0L, (long)(await rows.ExecuteScalarAsync())!);
        }

        // Off the live session (HTTP) the acknowledgement is still answered with a status.
        Assert.Equal(HttpStatusCode.Accepted, await MediatedWallet.PostForwardAsync(host, wallet.ForwardEnvelope(wallet.NewInnerEnvelope("second"))));
        var second = Assert.Single(await inbox.NextDeliveryAsync());
        var ack = await wallet.Wallet.RequestHttpAsync(new MessageBuilder(MessagePickupMessages.MessagesReceived).With("message_id_list", new JsonArray(second.Id)));
        Assert.Equal(MessagePickupMessages.Status, ack.Type);
        Assert.Equal(0, ack.Message.GetInteger("message_count"));
        await LiveDeliveryTests.EndLiveAsync(host, socket);
    }

    private static async Task AcknowledgeAsync(Support.TestWalletSocket socket, LiveDeliveryTests.Inbox inbox, IReadOnlyList<LiveDeliveryTests.Attached> pushed)
    {
        await socket.SendAsync(new MessageBuilder(MessagePickupMessages.MessagesReceived)
            .With("message_id_list", new JsonArray([.. pushed.Select(a => (JsonNode?)a.Id)])));
        Assert.Equal(0, (await inbox.NextAsync(MessagePickupMessages.Status)).Message.GetInteger("message_count"));
    }
}
