using System.Text.Json;
using Notifier.Worker.Tests.Support;
using Notifier.Worker.Webhooks;
using PickupAspire.TestSupport;

namespace Notifier.Worker.Tests;

/// <summary>The outbox relay end to end: Pickup.Core queues for an offline wallet, the notifier posts signed webhooks
/// to a real receiver on loopback.</summary>
public sealed class WebhookRelayTests
{
    private static string NewConnection() => PostgresServer.UniqueName("conn");

    private static async Task<(string Cs, LoopbackServer Hook, PickupSide Pickup, Db Db)> SetUpAsync()
    {
        var cs = await Db.NewDatabaseAsync();
        var hook = await LoopbackServer.StartAsync();
        var pickup = await PickupSide.StartAsync(cs);
        return (cs, hook, pickup, new Db(cs));
    }

    private static Uri HookUrl(LoopbackServer hook) => new(hook.BaseUri, "/hook");

    /// <summary>Waits until the relay has finished a full pass that started after now (so nothing more is in flight).</summary>
    private static async Task SettleAsync(NotifierTestHost notifier)
    {
        var passes = notifier.Relay.Passes;
        await Eventually.WaitAsync(() =>
        {
            notifier.Relay.Wake();
            return notifier.Relay.Passes >= passes + 2;
        }, "two more relay passes");
    }

    [Fact]
    public async Task An_offline_message_produces_exactly_one_signed_webhook()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        await using var notifier = await NotifierTestHost.StartAsync(cs, NotifierTestHost.Defaults(HookUrl(hook)));
        var connection = NewConnection();

        var added = await pickup.AddAsync(connection);

        await Eventually.WaitAsync(() => db.AllAsync(connection, "done"), "outbox row done");
        await SettleAsync(notifier);
        var request = Assert.Single(hook.Requests);
        Assert.Equal("/hook", request.Path);
        Assert.StartsWith("application/json", request.Header("content-type"));
        Assert.True(WebhookSignature.Verify(NotifierTestHost.Secret, request.Header(WebhookSignature.TimestampHeader),
            request.Header(WebhookSignature.SignatureHeader), request.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)),
            $"signature {request.Header(WebhookSignature.SignatureHeader)} does not verify over {request.Text}");
        // A different secret, a changed body or a replayed old timestamp do not verify.
        Assert.False(WebhookSignature.Verify("another-secret-0123456789", request.Header(WebhookSignature.TimestampHeader),
            request.Header(WebhookSignature.SignatureHeader), request.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(NotifierTestHost.Secret, request.Header(WebhookSignature.TimestampHeader),
            request.Header(WebhookSignature.SignatureHeader), [.. request.Body, (byte)' '], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(NotifierTestHost.Secret, request.Header(WebhookSignature.TimestampHeader),
            request.Header(WebhookSignature.SignatureHeader), request.Body, DateTimeOffset.UtcNow.AddMinutes(10), TimeSpan.FromMinutes(5)));

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal("message.queued", root.GetProperty("type").GetString());
        Assert.Equal(connection, root.GetProperty("connectionId").GetString());
        Assert.Equal(1, root.GetProperty("count").GetInt32());
        Assert.Equal([added.Id], root.GetProperty("messageIds").EnumerateArray().Select(e => e.GetGuid()));
        Assert.Equal(added.ReceivedAt, root.GetProperty("time").GetDateTimeOffset());
        Assert.Equal(root.GetProperty("eventId").GetString(), request.Header(WebhookSignature.EventIdHeader));
    }

    [Fact]
    public async Task A_burst_within_the_window_gives_one_notification_with_the_count()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        var settings = NotifierTestHost.Defaults(HookUrl(hook));
        settings["Notifier:Relay:CoalesceWindow"] = "00:00:03";
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        using var metrics = new MetricRecorder(notifier.MeterFactory);
        var connection = NewConnection();
        var other = NewConnection();

        var ids = new List<Guid> { (await pickup.AddAsync(connection)).Id };
        // The relay has looked at the first row (full passes after it) and holds it back for the window...
        await SettleAsync(notifier);
        Assert.Empty(hook.Requests);
        Assert.True(await db.AllAsync(connection, "pending"), "the first row waits for the coalescing window");
        // ...so the rest of the burst joins it.
        for (var i = 0; i < 4; i++) ids.Add((await pickup.AddAsync(connection)).Id);
        var otherId = (await pickup.AddAsync(other)).Id;

        await Eventually.WaitAsync(async () => await db.AllAsync(connection, "done") && await db.AllAsync(other, "done"), "outbox rows done");
        await SettleAsync(notifier);
        Assert.Equal(2, hook.Requests.Count);
        var events = hook.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        var burst = Assert.Single(events, e => e.GetProperty("connectionId").GetString() == connection);
        Assert.Equal(5, burst.GetProperty("count").GetInt32());
        Assert.Equal(ids, burst.GetProperty("messageIds").EnumerateArray().Select(e => e.GetGuid()));
        var single = Assert.Single(events, e => e.GetProperty("connectionId").GetString() == other);
        Assert.Equal([otherId], single.GetProperty("messageIds").EnumerateArray().Select(e => e.GetGuid()));
        Assert.Equal(4, metrics["notifier.outbox.coalesced"]);
        Assert.Equal(2, metrics["notifier.notifications.sent/webhook"]);
    }

    [Fact]
    public async Task A_message_acknowledged_before_sending_gives_no_notification()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        var settings = NotifierTestHost.Defaults(HookUrl(hook));
        settings["Notifier:Relay:CoalesceWindow"] = "00:00:01";
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        using var metrics = new MetricRecorder(notifier.MeterFactory);
        var acked = NewConnection();
        var delivered = NewConnection();
        var control = NewConnection();

        var a = await pickup.AddAsync(acked);
        Assert.Equal(1, await pickup.Queue.RemoveMessagesAsync(acked, [a.Id]));
        // Taken (leased) by a wallet that connected meanwhile: being delivered, so no push either.
        await pickup.AddAsync(delivered);
        Assert.Single(await pickup.Queue.TakeFromQueueAsync(new Pickup.Core.TakeFromQueueRequest(delivered)));
        await pickup.AddAsync(control);

        await Eventually.WaitAsync(async () => await db.AllAsync(acked, "done") && await db.AllAsync(delivered, "done")
                                               && await db.AllAsync(control, "done"), "outbox rows done");
        await SettleAsync(notifier);
        var request = Assert.Single(hook.Requests);
        Assert.Equal(control, JsonDocument.Parse(request.Body).RootElement.GetProperty("connectionId").GetString());
        Assert.Equal(2, metrics["notifier.outbox.skipped_delivered"]);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_backoff_until_it_succeeds()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        hook.Respond = (_, n) => Task.FromResult(n <= 3 ? (503, "{}") : (200, "{}"));
        var settings = NotifierTestHost.Defaults(HookUrl(hook));
        settings["Notifier:Relay:RetryBaseDelay"] = "00:00:00.200";
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        using var metrics = new MetricRecorder(notifier.MeterFactory);
        var connection = NewConnection();

        await pickup.AddAsync(connection);

        await Eventually.WaitAsync(() => db.AllAsync(connection, "done"), "outbox row done after retries");
        await SettleAsync(notifier);
        var requests = hook.Requests.ToArray();
        Assert.Equal(4, requests.Length);
        Assert.Single(requests.Select(r => r.Header(WebhookSignature.EventIdHeader)).Distinct());
        // Exponential backoff with 50-100% jitter: the n-th retry waits at least base * 2^(n-1) / 2.
        for (var i = 1; i < requests.Length; i++)
        {
            var gap = requests[i].At - requests[i - 1].At;
            var minimum = TimeSpan.FromMilliseconds(200 * (1 << (i - 1)) / 2.0) - TimeSpan.FromMilliseconds(20);
            Assert.True(gap >= minimum, $"retry {i} came after {gap.TotalMilliseconds} ms, expected at least {minimum.TotalMilliseconds} ms");
        }
        var row = Assert.Single(await db.OutboxAsync(connection));
        Assert.Equal(4, row.Attempts);
        Assert.Null(row.LastError);
        Assert.Equal(3, metrics["notifier.notifications.failed/webhook"]);
        Assert.Equal(1, metrics["notifier.notifications.sent/webhook"]);
    }

    [Fact]
    public async Task A_receiver_that_always_fails_gets_the_row_dead_lettered()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        hook.Respond = (_, _) => Task.FromResult((500, "{}"));
        var settings = NotifierTestHost.Defaults(HookUrl(hook));
        settings["Notifier:Relay:MaxAttempts"] = "3";
        settings["Notifier:Relay:RetryBaseDelay"] = "00:00:00.050";
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        notifier.ExpectedError = e => e.Contains("dead-lettered after 3 attempts", StringComparison.Ordinal);
        using var metrics = new MetricRecorder(notifier.MeterFactory);
        var connection = NewConnection();

        await pickup.AddAsync(connection);

        await Eventually.WaitAsync(() => db.AllAsync(connection, "failed"), "outbox row dead-lettered");
        await SettleAsync(notifier);
        Assert.Equal(3, hook.Requests.Count);
        var row = Assert.Single(await db.OutboxAsync(connection));
        Assert.Equal(3, row.Attempts);
        Assert.Contains("HTTP 500", row.LastError);
        Assert.Equal(1, metrics["notifier.notifications.dead_lettered/webhook"]);
        Assert.Equal(3, metrics["notifier.notifications.failed/webhook"]);
    }

    [Fact]
    public async Task A_partial_failure_retries_only_the_target_that_failed()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        var failures = 0;
        hook.Respond = (r, _) => Task.FromResult(r.Path == "/flaky" && Interlocked.Increment(ref failures) <= 2 ? (502, "{}") : (200, "{}"));
        var settings = NotifierTestHost.Defaults(HookUrl(hook));
        settings["Notifier:Webhooks:Urls:1"] = new Uri(hook.BaseUri, "/flaky").ToString();
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        var connection = NewConnection();

        await pickup.AddAsync(connection);

        await Eventually.WaitAsync(() => db.AllAsync(connection, "done"), "outbox row done");
        await SettleAsync(notifier);
        Assert.Single(hook.On("/hook"));
        Assert.Equal(3, hook.On("/flaky").Count());
    }

    [Fact]
    public async Task Two_relays_never_send_the_same_row_twice()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        // A slow receiver keeps claims in flight while the other relay claims.
        hook.Respond = async (_, _) => { await Task.Delay(30); return (200, "{}"); };
        var settings = NotifierTestHost.Defaults(HookUrl(hook));
        settings["Notifier:Relay:CoalesceWindow"] = "00:00:00";
        settings["Notifier:Relay:BatchSize"] = "3";
        await using var first = await NotifierTestHost.StartAsync(cs, settings);
        await using var second = await NotifierTestHost.StartAsync(cs, settings);
        var connections = Enumerable.Range(0, 40).Select(_ => NewConnection()).ToArray();

        await Parallel.ForEachAsync(connections, async (c, _) => await pickup.AddAsync(c));
        // Both relays also run passes on demand, concurrently, to force competing claims.
        await Task.WhenAll(first.Relay.RunPassAsync(CancellationToken.None), second.Relay.RunPassAsync(CancellationToken.None));

        await Eventually.WaitAsync(async () =>
        {
            foreach (var c in connections)
            {
                if (!await db.AllAsync(c, "done")) return false;
            }
            return true;
        }, "all outbox rows done");
        await SettleAsync(first);
        await SettleAsync(second);
        var notified = hook.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("connectionId").GetString()).ToList();
        Assert.Equal(connections.Order(StringComparer.Ordinal), notified.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Rows_claimed_by_a_crashed_worker_come_back_when_its_lease_expires()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        var connection = NewConnection();
        await pickup.AddAsync(connection);

        // A worker that claims and then dies: its lease (1 s) is never completed nor failed.
        await using var source = Npgsql.NpgsqlDataSource.Create(cs);
        var crashedOptions = new NotifierOptions { WorkerId = "crashed-worker" };
        crashedOptions.Relay.CoalesceWindow = TimeSpan.Zero;
        crashedOptions.Relay.LeaseDuration = TimeSpan.FromSeconds(1);
        using var telemetry = new Diagnostics.NotifierTelemetry();
        var crashed = new Relay.OutboxStore(new Relay.NotifierRuntime(Microsoft.Extensions.Options.Options.Create(crashedOptions),
            new Relay.NotifierDataSource(source), telemetry, TimeProvider.System));
        var claimed = Assert.Single(await crashed.ClaimAsync(CancellationToken.None));
        var claimedAt = DateTimeOffset.UtcNow;
        Assert.Empty(await crashed.ClaimAsync(CancellationToken.None));

        await using var notifier = await NotifierTestHost.StartAsync(cs, NotifierTestHost.Defaults(HookUrl(hook)));
        await Eventually.WaitAsync(() => db.AllAsync(connection, "done"), "the expired lease's row relayed by the live worker");
        await SettleAsync(notifier);
        var request = Assert.Single(hook.Requests);
        Assert.True(request.At - claimedAt >= TimeSpan.FromMilliseconds(900), $"sent {(request.At - claimedAt).TotalMilliseconds} ms after the claim, before the lease expired");
        var row = Assert.Single(await db.OutboxAsync(connection));
        Assert.Equal(2, row.Attempts);
        Assert.Equal(claimed.MessageId, JsonDocument.Parse(request.Body).RootElement.GetProperty("messageIds")[0].GetGuid());
    }

    [Fact]
    public async Task A_killed_listener_reconnects_and_the_relay_still_delivers()
    {
        var (cs, hook, pickup, db) = await SetUpAsync();
        await using var _h = hook;
        await using var _p = pickup;
        await using var _d = db;
        var settings = NotifierTestHost.Defaults(HookUrl(hook));
        settings["Notifier:Relay:PollInterval"] = "00:00:01";
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        var pid = notifier.Listener.BackendPid;
        Assert.NotEqual(0, pid);

        await db.TerminateAsync(pid);
        // Queued while the listener is down or reconnecting: its NOTIFY may be lost; the poll or the reconnect's pass
        // still finds the row.
        var lost = NewConnection();
        await pickup.AddAsync(lost);
        await Eventually.WaitAsync(() => db.AllAsync(lost, "done"), "row queued while the listener was down is relayed");

        await Eventually.WaitAsync(() => notifier.Listener.ConnectCount >= 2 && notifier.Listener.BackendPid != 0, "listener reconnected");
        Assert.NotEqual(pid, notifier.Listener.BackendPid);
        var after = NewConnection();
        await pickup.AddAsync(after);
        await Eventually.WaitAsync(() => db.AllAsync(after, "done"), "row queued after the reconnect is relayed");
        await SettleAsync(notifier);
        Assert.Equal(2, hook.Requests.Count);
    }
}
