using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pickup.Core.Notifications;
using Pickup.Core.Tests.Replicas;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Outbox;

public class OutboxTests
{
    [Fact]
    public async Task An_outbox_row_and_a_queued_event_exist_only_when_the_wallet_is_offline()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var host = await PickupTestHost.StartAsync(database);
        await using var other = await PickupTestHost.StartAsync(database);
        await using var notifierSpy = await ChannelSpy.StartAsync(database, Channels.Outbox("pickup"));
        var events = new List<MessageQueuedEvent>();
        host.Repository.MessageQueued += (_, e) => events.Add(e.Queued);
        var traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        // Offline: outbox row in the same transaction, NOTIFY on the notifier's channel, in-process event.
        var offline = await host.Queue.AddMessageAsync(new AddMessageRequest("offline-wallet", ["k1", "k2"], new byte[] { 7 }, traceParent));
        Assert.True(offline.QueuedForNotifier);
        Assert.False(offline.DeliveredLive);
        Assert.Empty(offline.WokenInstanceIds);
        await using (var command = host.DataSource.CreateCommand(
            "SELECT message_id, connection_id, trace_parent, state, attempts, created_at FROM pickup.outbox"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(offline.Id, reader.GetGuid(0));
            Assert.Equal("offline-wallet", reader.GetString(1));
            Assert.Equal(traceParent, reader.GetString(2));
            Assert.Equal("pending", reader.GetString(3));
            Assert.Equal(0, reader.GetInt32(4));
            Assert.False(await reader.ReadAsync());
        }
        Assert.Equal("", await notifierSpy.NextAsync());
        var queued = await host.Queued.WaitForAsync(q => q.MessageId == offline.Id, "the queued observer called");
        Assert.Equal(["k1", "k2"], queued.RecipientKeys);
        Assert.Equal(offline.ReceivedAt, queued.ReceivedAt);
        Assert.Equal(offline.Id, Assert.Single(events).MessageId);

        // Live (on another instance): no outbox row, no queued event.
        await other.Sessions.RegisterSessionAsync("live-wallet", "socket");
        var live = await host.Queue.AddMessageAsync(new AddMessageRequest("live-wallet", ["k"], new byte[] { 8 }));
        Assert.False(live.QueuedForNotifier);
        Assert.True(live.DeliveredLive);
        Assert.Equal(1L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.outbox"));
        Assert.Single(events);
        Assert.DoesNotContain(host.Queued.Items, q => q.MessageId == live.Id);

        // The session ends with the message still queued: it goes to the notifier now.
        await other.Sessions.RemoveSessionAsync("socket");
        Assert.Equal(1L, await ReplicaTests.ScalarAsync(host.DataSource, $"SELECT count(*) FROM pickup.outbox WHERE message_id = '{live.Id}'"));
        Assert.Equal("", await notifierSpy.NextAsync());

        // Offline again: later adds write their own row.
        var later = await host.Queue.AddMessageAsync(new AddMessageRequest("live-wallet", ["k"], new byte[] { 9 }));
        Assert.True(later.QueuedForNotifier);
        Assert.Equal(3L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.outbox"));
    }

    [Fact]
    public async Task A_wake_up_that_arrives_after_its_session_ended_hands_the_messages_to_the_notifier()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var holder = await PickupTestHost.StartAsync(database);
        // Committed by a sender that saw a live session on the holder; the session ended before the NOTIFY arrived.
        var late = Guid.CreateVersion7();
        await using (var insert = holder.DataSource.CreateCommand(
            $"INSERT INTO pickup.messages (id, connection_id, envelope, envelope_size) VALUES ('{late}', 'gone-wallet', '\\x01', 1)"))
        {
            await insert.ExecuteNonQueryAsync();
        }
        await using (var notify = holder.DataSource.CreateCommand("SELECT pg_notify($1, $2)"))
        {
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channels.ForInstance("pickup", holder.InstanceId) });
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $$"""{"w":[{"c":"gone-wallet","m":["{{late}}"]}]}""" });
            await notify.ExecuteNonQueryAsync();
        }

        await Eventually.TrueAsync(async () => (long)await ReplicaTests.ScalarAsync(holder.DataSource,
            $"SELECT count(*) FROM pickup.outbox WHERE message_id = '{late}'") == 1, "an outbox row written by the holder");
        Assert.DoesNotContain(holder.Deliveries.Items, w => w.ConnectionId == "gone-wallet");
    }

    [Fact]
    public async Task Queued_messages_of_sessions_lost_with_a_dead_instance_go_to_the_notifier()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var host = await PickupTestHost.StartAsync(database);
        var orphan = Guid.CreateVersion7();
        await using (var batch = new NpgsqlBatch(await host.DataSource.OpenConnectionAsync())
        {
            BatchCommands =
            {
                new("INSERT INTO pickup.instances (instance_id, channel) VALUES ('doomed', 'x')"),
                new("INSERT INTO pickup.live_sessions (session_id, connection_id, instance_id) VALUES ('s', 'lonely', 'doomed')"),
                new($"INSERT INTO pickup.messages (id, connection_id, envelope, envelope_size) VALUES ('{orphan}', 'lonely', '\x01', 1)"),
                new("UPDATE pickup.instances SET last_heartbeat = now() - interval '1 hour' WHERE instance_id = 'doomed'"),
            },
        })
        {
            await batch.ExecuteNonQueryAsync();
            await batch.Connection!.DisposeAsync();
        }

        await Eventually.TrueAsync(async () => (long)await ReplicaTests.ScalarAsync(host.DataSource,
            $"SELECT count(*) FROM pickup.outbox WHERE message_id = '{orphan}' AND connection_id = 'lonely'") == 1,
            "an outbox row after the reaper removed the dead instance");
        Assert.Equal(0L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.instances WHERE instance_id = 'doomed'"));
    }

    [Fact]
    public async Task A_session_of_an_instance_that_stopped_heartbeating_counts_as_offline()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var host = await PickupTestHost.StartAsync(database, configure: o => o.MaintenanceInterval = TimeSpan.FromMinutes(5));
        await using (var batch = new NpgsqlBatch(await host.DataSource.OpenConnectionAsync())
        {
            BatchCommands =
            {
                new("INSERT INTO pickup.instances (instance_id, channel, last_heartbeat) VALUES ('stale', 'x', now() - interval '1 hour')"),
                new("INSERT INTO pickup.live_sessions (session_id, connection_id, instance_id) VALUES ('s', 'wallet', 'stale')"),
            },
        })
        {
            await batch.ExecuteNonQueryAsync();
            await batch.Connection!.DisposeAsync();
        }

        var added = await host.Queue.AddMessageAsync(new AddMessageRequest("wallet", ["k"], new byte[] { 1 }));
        Assert.False(added.DeliveredLive);
        Assert.True(added.QueuedForNotifier);
    }
}
