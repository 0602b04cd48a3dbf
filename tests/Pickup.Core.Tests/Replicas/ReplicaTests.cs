using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pickup.Core.Notifications;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Replicas;

/// <summary>Two hosts with different instance ids on one database behave as two replicas.</summary>
public class ReplicaTests
{
    private static AddMessageRequest Message(string connectionId) => new(connectionId, ["key"], new byte[] { 42 });

    [Fact]
    public async Task A_message_added_on_one_replica_wakes_only_the_replica_holding_the_session()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var a = await PickupTestHost.StartAsync(database, "replica-a");
        await using var b = await PickupTestHost.StartAsync(database, "replica-b");
        await using var spyA = await ChannelSpy.StartAsync(database, Channels.ForInstance("pickup", "replica-a"));
        await using var spyB = await ChannelSpy.StartAsync(database, Channels.ForInstance("pickup", "replica-b"));
        await b.Sessions.RegisterSessionAsync("wallet-b", "socket-b");

        var added = await a.Queue.AddMessageAsync(Message("wallet-b"));
        Assert.True(added.DeliveredLive);
        Assert.Equal(["replica-b"], added.WokenInstanceIds);
        Assert.False(added.QueuedForNotifier);

        var wake = await b.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id), "replica B woken for the message");
        Assert.Equal(("wallet-b", "socket-b"), (wake.ConnectionId, wake.SessionId));
        var payload = await spyB.NextAsync();
        Assert.Contains(added.Id.ToString(), payload);
        var taken = Assert.Single(await b.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet-b", SessionId: "socket-b")));
        Assert.Equal(added.Id, taken.Id);

        // A session on the adding instance itself: the handler is called directly, no NOTIFY at all.
        await a.Sessions.RegisterSessionAsync("wallet-a", "socket-a");
        var local = await a.Queue.AddMessageAsync(Message("wallet-a"));
        Assert.Equal(["replica-a"], local.WokenInstanceIds);
        await a.Deliveries.WaitForAsync(w => w.HintedIds.Contains(local.Id), "replica A woken directly");

        // A marker NOTIFY sent after both adds arrives after anything they sent: nothing reached A's channel, and
        // B's channel carried nothing else.
        await SendMarkerAsync(a.DataSource, Channels.ForInstance("pickup", "replica-a"));
        await SendMarkerAsync(a.DataSource, Channels.ForInstance("pickup", "replica-b"));
        Assert.Equal("""{"w":[]}""", await spyA.NextAsync());
        Assert.Equal("""{"w":[]}""", await spyB.NextAsync());
        Assert.DoesNotContain(a.Deliveries.Items, w => w.HintedIds.Contains(added.Id));
        Assert.DoesNotContain(b.Deliveries.Items, w => w.HintedIds.Contains(local.Id));
    }

    [Fact]
    public async Task Killing_the_listener_backend_loses_nothing_because_the_reconnect_sweeps()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var host = await PickupTestHost.StartAsync(database);
        await host.Sessions.RegisterSessionAsync("wallet", "socket");
        var status = host.Services.GetRequiredService<IPickupInstanceStatus>();
        Assert.True(status.IsHealthy, status.Describe());
        Assert.Equal(1, status.LiveSessions);
        var firstBackend = host.Listener.BackendPid;
        var connects = host.Listener.ConnectCount;
        Assert.NotEqual(0, firstBackend);

        // A message committed whose NOTIFY never came (as if its sender crashed between commit and NOTIFY).
        var orphan = Guid.CreateVersion7();
        await using (var insert = host.DataSource.CreateCommand(
            "INSERT INTO pickup.messages (id, connection_id, recipient_keys, envelope, envelope_size) VALUES ($1, 'wallet', '{key}', '\\x01', 1)"))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orphan });
            await insert.ExecuteNonQueryAsync();
        }
        var mark = host.Deliveries.Items.Count;

        await using (var kill = host.DataSource.CreateCommand("SELECT pg_terminate_backend($1)"))
        {
            kill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = firstBackend });
            Assert.True((bool)(await kill.ExecuteScalarAsync())!);
        }

        await host.Deliveries.WaitForAsync(w => w.ConnectionId == "wallet", "the sweep after reconnect to wake the session", since: mark);
        Assert.True(host.Listener.ConnectCount > connects);
        Assert.True(status.ListenerConnected, status.Describe());
        Assert.NotEqual(firstBackend, host.Listener.BackendPid);
        var taken = Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet")));
        Assert.Equal(orphan, taken.Id);

        // And the new listener works: a NOTIFY from another replica arrives.
        await using var other = await PickupTestHost.StartAsync(database);
        var added = await other.Queue.AddMessageAsync(Message("wallet"));
        await host.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id), "a NOTIFY on the reconnected listener");
    }

    [Fact]
    public async Task The_reaper_removes_a_dead_instance_and_its_leases_go_back_to_the_live_owner()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var live = await PickupTestHost.StartAsync(database, "live");
        await live.Sessions.RegisterSessionAsync("wallet", "socket-live");
        var added = await live.Queue.AddMessageAsync(Message("wallet"));
        await live.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id), "the add's own wake-up");

        // A replica that took the message and then died: stale heartbeat, a session, an unexpired lease.
        await using (var batch = new NpgsqlBatch(await live.DataSource.OpenConnectionAsync())
        {
            BatchCommands =
            {
                new("INSERT INTO pickup.instances (instance_id, channel, last_heartbeat) VALUES ('ghost', 'pickup_i_ghost', now() - interval '1 hour')"),
                new("INSERT INTO pickup.live_sessions (session_id, connection_id, instance_id) VALUES ('socket-ghost', 'wallet', 'ghost')"),
                new("UPDATE pickup.messages SET state = 'leased', lease_instance = 'ghost', lease_session = 'socket-ghost', lease_expires_at = now() + interval '1 hour', delivery_count = 1 WHERE connection_id = 'wallet'"),
            },
        })
        {
            await batch.ExecuteNonQueryAsync();
            await batch.Connection!.DisposeAsync();
        }
        var mark = live.Deliveries.Items.Count;

        await live.Deliveries.WaitForAsync(w => w.SessionId == "socket-live" && w.HintedIds.Contains(added.Id),
            "the live owner woken for the released lease", since: mark);
        Assert.Equal(0L, await ScalarAsync(live.DataSource, "SELECT count(*) FROM pickup.instances WHERE instance_id = 'ghost'"));
        Assert.Equal(0L, await ScalarAsync(live.DataSource, "SELECT count(*) FROM pickup.live_sessions WHERE instance_id = 'ghost'"));
        Assert.Equal(1L, await ScalarAsync(live.DataSource, "SELECT count(*) FROM pickup.instances WHERE instance_id = 'live'"));
        var taken = Assert.Single(await live.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet")));
        Assert.Equal(2, taken.DeliveryCount);
    }

    [Fact]
    public async Task An_instance_that_was_reaped_registers_itself_and_its_sessions_again()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var host = await PickupTestHost.StartAsync(database, "sleepy");
        await host.Sessions.RegisterSessionAsync("wallet", "socket");
        Assert.Equal(1L, await ScalarAsync(host.DataSource, "DELETE FROM pickup.instances WHERE instance_id = 'sleepy' RETURNING 1::bigint"));

        await Eventually.TrueAsync(async () =>
            (long)(await ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.live_sessions WHERE session_id = 'socket' AND instance_id = 'sleepy'")) == 1,
            "the session registered again after the next heartbeat");
        await using var other = await PickupTestHost.StartAsync(database);
        var added = await other.Queue.AddMessageAsync(Message("wallet"));
        Assert.Equal(["sleepy"], added.WokenInstanceIds);
        await host.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id), "the re-registered session woken");
    }

    [Fact]
    public async Task A_restart_with_the_same_instance_id_clears_what_the_crashed_process_left()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using (var setup = await PickupTestHost.StartAsync(database))
        {
            // The previous "phoenix" process crashed: its session, a leased message, another message for the same
            // wallet that arrived while it looked live (no outbox row).
            await using var batch = new NpgsqlBatch(await setup.DataSource.OpenConnectionAsync())
            {
                BatchCommands =
                {
                    new("INSERT INTO pickup.instances (instance_id, channel) VALUES ('phoenix', 'x')"),
                    new("INSERT INTO pickup.live_sessions (session_id, connection_id, instance_id) VALUES ('old-socket', 'wallet', 'phoenix')"),
                    new("INSERT INTO pickup.messages (id, connection_id, envelope, envelope_size, state, lease_instance, lease_session, lease_expires_at, delivery_count) VALUES ('00000000-0000-7000-8000-000000000001', 'wallet', '\\x01', 1, 'leased', 'phoenix', 'old-socket', now() + interval '1 hour', 1)"),
                    new("INSERT INTO pickup.messages (id, connection_id, envelope, envelope_size) VALUES ('00000000-0000-7000-8000-000000000002', 'wallet', '\\x02', 1)"),
                },
            };
            await batch.ExecuteNonQueryAsync();
            await batch.Connection!.DisposeAsync();
        }

        await using var phoenix = await PickupTestHost.StartAsync(database, "phoenix");
        Assert.Equal(0L, await ScalarAsync(phoenix.DataSource, "SELECT count(*) FROM pickup.live_sessions"));
        Assert.Equal(2, await phoenix.Queue.GetAvailableMessageCountAsync("wallet"));
        Assert.Equal(2L, await ScalarAsync(phoenix.DataSource, "SELECT count(*) FROM pickup.outbox WHERE connection_id = 'wallet'"));
        var taken = await phoenix.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet"));
        Assert.Equal([1, 2], taken.Select(m => (int)m.Envelope.Span[0]));
        Assert.Equal([2, 1], taken.Select(m => m.DeliveryCount));
    }

    [Fact]
    public async Task Three_instances_starting_together_on_an_empty_server_create_the_database_and_schema_once()
    {
        var server = await PickupAspire.TestSupport.PostgresServer.GetSharedAsync();
        var database = server.DatabaseConnectionString(PickupAspire.TestSupport.PostgresServer.UniqueName("fresh"));
        var hosts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => PickupTestHost.StartAsync(database))));
        try
        {
            Assert.Equal(1L, await ScalarAsync(hosts[0].DataSource, "SELECT count(*) FROM pickup.pickup_schema_history"));
            Assert.Equal(3L, await ScalarAsync(hosts[0].DataSource, "SELECT count(*) FROM pickup.instances"));
            var added = await hosts[0].Queue.AddMessageAsync(Message("c"));
            Assert.Equal(added.Id, Assert.Single(await hosts[2].Queue.TakeFromQueueAsync(new TakeFromQueueRequest("c"))).Id);
        }
        finally
        {
            foreach (var host in hosts) await host.DisposeAsync();
        }
    }

    private static async Task SendMarkerAsync(NpgsqlDataSource dataSource, string channel)
    {
        await using var command = dataSource.CreateCommand("SELECT pg_notify($1, '{\"w\":[]}')");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = channel });
        await command.ExecuteNonQueryAsync();
    }

    internal static async Task<object> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (await command.ExecuteScalarAsync())!;
    }
}

/// <summary>A raw LISTEN connection that records every payload on one channel.</summary>
internal sealed class ChannelSpy : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly Channel<string> _payloads = Channel.CreateUnbounded<string>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ChannelSpy(NpgsqlConnection connection)
    {
        _connection = connection;
        _connection.Notification += (_, e) => _payloads.Writer.TryWrite(e.Payload);
        _loop = Task.Run(async () =>
        {
            try
            {
                while (true) await _connection.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public static async Task<ChannelSpy> StartAsync(string connectionString, string channel)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", connection)) await listen.ExecuteNonQueryAsync();
        return new ChannelSpy(connection);
    }

    public async Task<string> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _payloads.Reader.ReadAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await _connection.DisposeAsync();
        _stop.Dispose();
    }
}
