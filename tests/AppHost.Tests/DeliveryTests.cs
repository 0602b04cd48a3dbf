using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mediator.Api.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using PickupAspire.AppHost.Tests.Support;
using Xunit.Abstractions;

namespace PickupAspire.AppHost.Tests;

/// <summary>
/// Messages through the real processes: wallets and senders on different replicas, the notifier's webhook and SignalR
/// hub, a replica killed mid-stream, and one trace from the forward to the delivery. Each test uses its own wallets
/// (connections), so the tests share the one app without sharing data.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class DeliveryTests(AppHostFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_wallet_live_on_one_replica_receives_a_message_forwarded_to_another_and_its_ack_removes_it()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var (a, b) = (fixture.MediatorReplicaInfos[0], fixture.MediatorReplicaInfos[1]);
        var wallet = await MediatedWallet.ConnectAsync(a.Url, "live wallet", fixture.DatabaseConnectionString, cts.Token);
        await using var socket = await wallet.GoLiveAsync(a.Url, cts.Token);
        await ExpectStatusAsync(socket, liveDelivery: true);

        var content = $"hello from replica B {Guid.NewGuid():N}";
        await wallet.ForwardToAsync(b.Url, content, cancellationToken: cts.Token);

        var delivered = await MediatedWallet.ReceiveAsync(socket, 1, Timeout);
        Assert.Single(delivered);
        Assert.Equal(content, wallet.OpenContent(delivered[0]));

        // The acknowledgement removed it; it was delivered live, so nothing went to the notifier's outbox.
        await WaitForAsync(async () => await CountAsync("SELECT count(*) FROM pickup.messages WHERE connection_id = @c", wallet.ConnectionId) == 0,
            "the acknowledged message is removed from the queue");
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM pickup.outbox WHERE connection_id = @c", wallet.ConnectionId));
    }

    [Fact]
    public async Task An_offline_wallets_message_gives_exactly_one_signed_webhook_and_one_signalr_event()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var (a, b) = (fixture.MediatorReplicaInfos[0], fixture.MediatorReplicaInfos[1]);
        var wallet = await MediatedWallet.ConnectAsync(a.Url, "offline wallet", fixture.DatabaseConnectionString, cts.Token);

        var events = new ConcurrentQueue<JsonElement>();
        var notifierUrl = fixture.App.GetEndpoint(AppHostFixture.Notifier, "http");
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(notifierUrl, "/hubs/notifications"), options => options.Headers["X-Api-Key"] = AppHostFixture.SignalRApiKey)
            .Build();
        hub.On<JsonElement>("messageQueued", e => events.Enqueue(e.ValueKind == JsonValueKind.String ? JsonDocument.Parse(e.GetString()!).RootElement : e));
        await hub.StartAsync(cts.Token);
        await hub.InvokeAsync("Subscribe", new[] { wallet.ConnectionId }, cts.Token);

        var sentAt = DateTimeOffset.UtcNow;
        await wallet.ForwardToAsync(b.Url, "for an offline wallet", cancellationToken: cts.Token);
        var messageId = await SingleMessageIdAsync(wallet.ConnectionId);

        var webhook = await fixture.Receiver.WaitForAsync(r => WebhooksFor(r, wallet.ConnectionId).FirstOrDefault(), Timeout,
            $"a webhook for connection {wallet.ConnectionId}");
        AssertSigned(webhook, AppHostFixture.WebhookSigningSecret);
        using (var body = JsonDocument.Parse(webhook.Body))
        {
            var root = body.RootElement;
            Assert.Equal("message.queued", root.GetProperty("type").GetString());
            Assert.Equal(1, root.GetProperty("count").GetInt32());
            Assert.Equal([messageId.ToString()], root.GetProperty("messageIds").EnumerateArray().Select(i => i.GetString() ?? "").ToArray());
            Assert.Equal(webhook.EventId, root.GetProperty("eventId").GetString());
            var time = root.GetProperty("time").GetDateTimeOffset();
            Assert.InRange(time, sentAt.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        }

        var signalREvent = await WaitForValueAsync(() => events.FirstOrDefault(e => ConnectionOf(e) == wallet.ConnectionId) is { ValueKind: JsonValueKind.Object } e ? (JsonElement?)e : null,
            $"a SignalR messageQueued event for {wallet.ConnectionId}");
        Assert.Equal(messageId.ToString(), signalREvent.GetProperty("messageIds")[0].GetString());

        // Exactly one: once the outbox row is done, nothing more is sent for it.
        await WaitForAsync(async () => await CountAsync("SELECT count(*) FROM pickup.outbox WHERE connection_id = @c AND state = 'done'", wallet.ConnectionId) == 1,
            "the outbox row is done");
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM pickup.outbox WHERE connection_id = @c AND state <> 'done'", wallet.ConnectionId));
        Assert.Single(WebhooksFor(fixture.Receiver, wallet.ConnectionId));
        Assert.Single(events, e => ConnectionOf(e) == wallet.ConnectionId);

        // Woken, the wallet picks the message up over HTTP from a third replica and acknowledges it.
        var (delivered, status) = await wallet.PickUpOverHttpAsync(fixture.MediatorReplicaInfos[2].Url, cts.Token);
        Assert.Equal(messageId.ToString(), Assert.Single(delivered).Id);
        Assert.Equal("for an offline wallet", wallet.OpenContent(delivered[0]));
        Assert.Equal(0, status.Message.Json["message_count"]?.GetValue<int>());
    }

    [Fact]
    public async Task A_replica_killed_mid_stream_loses_no_message_and_redelivers_nothing_acknowledged()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var replicas = fixture.MediatorReplicaInfos;
        var (a, b, doomed) = (replicas[0], replicas[1], replicas[2]);
        var wallet = await MediatedWallet.ConnectAsync(a.Url, "wallet on a doomed replica", fixture.DatabaseConnectionString, cts.Token);
        var contents = Enumerable.Range(1, 5).Select(i => $"m{i} {Guid.NewGuid():N}").ToArray();
        try
        {
            await using (var socket = await wallet.GoLiveAsync(doomed.Url, cts.Token))
            {
                await ExpectStatusAsync(socket, liveDelivery: true);

                // m1, m2: delivered and acknowledged on the doomed replica.
                await wallet.ForwardToAsync(b.Url, contents[0], cancellationToken: cts.Token);
                await wallet.ForwardToAsync(b.Url, contents[1], cancellationToken: cts.Token);
                var acked = await MediatedWallet.ReceiveAsync(socket, 2, Timeout);
                Assert.Equal(contents[..2], acked.Select(wallet.OpenContent).ToArray());

                // m3: delivered, not acknowledged yet (leased to the doomed replica's session) when the replica dies.
                await wallet.ForwardToAsync(b.Url, contents[2], cancellationToken: cts.Token);
                var unacked = await MediatedWallet.ReceiveAsync(socket, 1, Timeout, acknowledge: false);
                Assert.Equal(contents[2], wallet.OpenContent(unacked.Single()));

                var pid = await ListeningProcess.KillAsync(doomed.Url.Port, TimeSpan.FromSeconds(10));
                output.WriteLine($"Killed replica {doomed.ResourceId} (pid {pid}, port {doomed.Url.Port}).");
            }

            // m4, m5 arrive while the wallet's session still points at the dead replica.
            await wallet.ForwardToAsync(b.Url, contents[3], cancellationToken: cts.Token);
            await wallet.ForwardToAsync(b.Url, contents[4], cancellationToken: cts.Token);

            // The wallet reconnects to another replica and gets everything it has not acknowledged, once.
            await using (var socket = await wallet.GoLiveAsync(a.Url, cts.Token))
            {
                var delivered = await MediatedWallet.ReceiveAsync(socket, 3, TimeSpan.FromSeconds(45));
                var opened = delivered.Select(wallet.OpenContent).ToList();
                output.WriteLine($"After the kill: {string.Join(", ", opened.Select(c => c[..2]))}");
                Assert.Equal(contents[2..].Order(), opened.Order());
                Assert.DoesNotContain(contents[0], opened);
                Assert.DoesNotContain(contents[1], opened);

                await WaitForAsync(async () => await CountAsync("SELECT count(*) FROM pickup.messages WHERE connection_id = @c", wallet.ConnectionId) == 0,
                    "every message acknowledged and removed");
                // Nothing comes again after the acknowledgements (only status answers may still be on their way).
                await ExpectNoDeliveryAsync(socket, TimeSpan.FromSeconds(3));
            }
        }
        finally
        {
            // Give the collection its three replicas back.
            await fixture.App.ResourceCommands.ExecuteCommandAsync(doomed.ResourceId, KnownResourceCommands.StartCommand, CancellationToken.None);
            using var restart = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await fixture.WaitForAllReplicasAsync(restart.Token);
        }
    }

    [Fact]
    public async Task The_forward_on_one_replica_stores_its_trace_context_with_the_message_delivered_on_another()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var (a, b) = (fixture.MediatorReplicaInfos[0], fixture.MediatorReplicaInfos[1]);
        var wallet = await MediatedWallet.ConnectAsync(a.Url, "traced wallet", fixture.DatabaseConnectionString, cts.Token);
        await using var socket = await wallet.GoLiveAsync(a.Url, cts.Token);
        await ExpectStatusAsync(socket, liveDelivery: true);

        // The sender starts the trace: its POST carries a W3C traceparent that ASP.NET Core continues on replica B.
        var traceId = NewTraceId();
        await wallet.ForwardToAsync(b.Url, "traced", TraceParent(traceId), cts.Token);
        var delivered = await MediatedWallet.ReceiveAsync(socket, 1, Timeout, acknowledge: false);

        // Stored with the message (what the delivery side continues): the forward's trace, not a new one.
        var storedTraceParent = await ScalarAsync("SELECT trace_parent FROM pickup.messages WHERE id = @id::uuid", delivered[0].Id);
        Assert.Equal(traceId, storedTraceParent?.Split('-')[1]);
        await socket.SendAsync(new Mediator.Didcomm.Messages.MessageBuilder(MediatedWallet.MessagesReceived)
            .With("message_id_list", new System.Text.Json.Nodes.JsonArray(delivered[0].Id)), cancellationToken: cts.Token);

        // The forward span is in that trace, exported by replica B.
        var forward = await fixture.Receiver.WaitForAsync(r => r.Spans.FirstOrDefault(s => s.TraceId == traceId && s.Name == "forward"), Timeout,
            () => $"a 'forward' span in trace {traceId}; spans of that trace: {string.Join("; ", fixture.Receiver.Spans.Where(s => s.TraceId == traceId))}");
        Assert.Equal(AppHostFixture.Mediator, forward.ServiceName);
        Assert.Equal("Stored", forward.Attributes.GetValueOrDefault("didcomm.forward.outcome"));
    }

    [Fact]
    public async Task One_trace_runs_from_the_forward_on_one_replica_to_the_delivery_on_another()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var (a, b) = (fixture.MediatorReplicaInfos[0], fixture.MediatorReplicaInfos[1]);
        var wallet = await MediatedWallet.ConnectAsync(a.Url, "traced wallet", fixture.DatabaseConnectionString, cts.Token);
        await using var socket = await wallet.GoLiveAsync(a.Url, cts.Token);
        await ExpectStatusAsync(socket, liveDelivery: true);

        var traceId = NewTraceId();
        await wallet.ForwardToAsync(b.Url, "traced", TraceParent(traceId), cts.Token);
        var delivered = await MediatedWallet.ReceiveAsync(socket, 1, Timeout);
        Assert.Single(delivered);

        // The trace must hold the forward (on B) and a delivery span on another replica (A, holding the live session).
        var spans = await fixture.Receiver.WaitForAsync(r =>
        {
            var trace = r.Spans.Where(s => s.TraceId == traceId).ToList();
            var forward = trace.FirstOrDefault(s => s.ServiceName == AppHostFixture.Mediator && s.Name == "forward");
            var delivery = trace.FirstOrDefault(s => s.ServiceName == AppHostFixture.Mediator && s.Name.Contains("deliver", StringComparison.Ordinal)
                && s.ServiceInstanceId != forward?.ServiceInstanceId);
            return forward is not null && delivery is not null ? trace : null;
        }, Timeout, () => $"a 'forward' span and a delivery span on another replica in trace {traceId}; spans of that trace: "
            + string.Join("; ", fixture.Receiver.Spans.Where(s => s.TraceId == traceId))
            + $"; delivery-like spans anywhere: {string.Join("; ", fixture.Receiver.Spans.Where(s => s.Name.Contains("deliver", StringComparison.Ordinal)).Take(5))}");
        foreach (var span in spans) output.WriteLine(span.ToString());

        var forwardSpan = spans.First(s => s.Name == "forward");
        var deliverySpan = spans.First(s => s.Name.Contains("deliver", StringComparison.Ordinal) && s.ServiceInstanceId != forwardSpan.ServiceInstanceId);
        // A child of what the forward's replica stored (the add under the forward), not merely a link.
        Assert.Contains(spans, s => s.SpanId == deliverySpan.ParentSpanId && s.ServiceInstanceId == forwardSpan.ServiceInstanceId);
    }

    private static string NewTraceId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static string TraceParent(string traceId) => $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01";

    // ---------- helpers ----------

    private static async Task ExpectStatusAsync(TestWalletSocket socket, bool? liveDelivery = null)
    {
        var status = await socket.ReceiveAsync(Timeout);
        Assert.True(status.Type == MediatedWallet.Status, $"Expected a pickup status, got {status}");
        if (liveDelivery is { } live) Assert.Equal(live, status.Message.Json["live_delivery"]?.GetValue<bool>());
    }

    /// <summary>Reads what comes within <paramref name="window"/> and fails on any delivery (status answers are fine).</summary>
    private static async Task ExpectNoDeliveryAsync(TestWalletSocket socket, TimeSpan window)
    {
        var deadline = DateTime.UtcNow + window;
        while (DateTime.UtcNow < deadline)
        {
            ReceivedMessage message;
            try
            {
                message = await socket.ReceiveAsync(deadline - DateTime.UtcNow);
            }
            catch (TimeoutException)
            {
                return;
            }
            Assert.True(message.Type == MediatedWallet.Status, $"Nothing but status answers may come after the acknowledgements, got {message}");
        }
    }

    private static List<ReceivedWebhook> WebhooksFor(LoopbackReceiver receiver, string connectionId) =>
        receiver.Webhooks.Where(w =>
        {
            using var body = JsonDocument.Parse(w.Body);
            return body.RootElement.TryGetProperty("connectionId", out var c) && c.GetString() == connectionId;
        }).ToList();

    private static string? ConnectionOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("connectionId", out var c) ? c.GetString() : null;

    /// <summary>The receiver's check, written independently of the notifier's code: HMAC-SHA256(secret, "timestamp." + body).</summary>
    private static void AssertSigned(ReceivedWebhook webhook, string secret)
    {
        Assert.False(string.IsNullOrEmpty(webhook.Timestamp), "No X-PickupAspire-Timestamp header.");
        Assert.False(string.IsNullOrEmpty(webhook.EventId), "No X-PickupAspire-Event-Id header.");
        var timestamp = long.Parse(webhook.Timestamp!, CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.FromUnixTimeSeconds(timestamp), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        var signed = Encoding.UTF8.GetBytes(webhook.Timestamp + ".").Concat(webhook.Body).ToArray();
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        Assert.True(CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(webhook.Signature ?? "")),
            $"Signature {webhook.Signature} does not match {expected}.");
        // And a forged body does not verify.
        var forged = Encoding.UTF8.GetBytes(webhook.Timestamp + ".").Concat(webhook.Body).Append((byte)' ').ToArray();
        Assert.NotEqual(expected, "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), forged)));
    }

    private async Task<Guid> SingleMessageIdAsync(string connectionId)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM pickup.messages WHERE connection_id = @c", connection);
        command.Parameters.AddWithValue("c", connectionId);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return Assert.Single(ids);
    }

    private async Task<string?> ScalarAsync(string sql, string id)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        return (string?)await command.ExecuteScalarAsync();
    }

    private async Task<long> CountAsync(string sql, string connectionId)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("c", connectionId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not within {Timeout}: {what}.");
            await Task.Delay(100);
        }
    }

    private static async Task<T> WaitForValueAsync<T>(Func<T?> value, string what) where T : struct
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            if (value() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not within {Timeout}: {what}.");
            await Task.Delay(100);
        }
    }
}
