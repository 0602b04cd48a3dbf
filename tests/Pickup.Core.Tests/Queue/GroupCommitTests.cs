using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pickup.Core.Notifications;
using Pickup.Core.Tests.Replicas;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Queue;

/// <summary>
/// Group commit of adds. To control what goes into one flush, a test holds the usage row of a "blocker" connection
/// locked in its own transaction: the single writer's flush for the blocker waits on it, the adds started meanwhile
/// queue up, and releasing the lock lets them all go out in the next flush.
/// </summary>
public class GroupCommitTests
{
    private static AddMessageRequest Message(string connectionId, int bytes = 8) => new(connectionId, ["k"], new byte[bytes]);

    private static void OneWriter(PickupOptions o) => o.WriteBatching.Writers = 1;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Many_concurrent_adds_complete_with_distinct_ids_and_every_row_is_stored(bool batching)
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(),
            configure: o => o.WriteBatching.Enabled = batching);
        var adds = Enumerable.Range(0, 400).Select(i => host.Queue.AddMessageAsync(Message($"wallet-{i % 13}", 100 + i))).ToArray();
        var added = await Task.WhenAll(adds);

        Assert.Equal(400, added.Select(a => a.Id).Distinct().Count());
        Assert.All(added, a => Assert.True(a.QueuedForNotifier));
        Assert.Equal(400L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.messages"));
        Assert.Equal(400L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.outbox"));
        await AssertUsageMatchesAsync(host.DataSource);
        for (var c = 0; c < 13; c++)
        {
            var expected = added.Where((_, i) => i % 13 == c).Select(a => a.Id).ToHashSet();
            var taken = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest($"wallet-{c}", Limit: 1000));
            Assert.True(expected.SetEquals(taken.Select(m => m.Id)), $"wallet-{c} holds exactly its own messages");
        }
    }

    [Fact]
    public async Task An_over_quota_or_oversized_message_in_a_flush_fails_alone()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o =>
        {
            OneWriter(o);
            o.MaxMessagesPerConnection = 3;
            o.MaxMessageBytes = 100;
        });
        await using (var blocker = await WriterBlocker.StartAsync(host))
        {
            var full = Enumerable.Range(0, 4).Select(_ => host.Queue.AddMessageAsync(Message("full"))).ToArray();
            var tooLarge = host.Queue.AddMessageAsync(Message("other", 101));
            var others = Enumerable.Range(0, 5).Select(i => host.Queue.AddMessageAsync(Message($"other-{i}"))).ToArray();
            await WaitForQueuedAsync(host, 9);
            await blocker.ReleaseAsync();

            await Assert.ThrowsAsync<MessageTooLargeException>(() => tooLarge);
            await Task.WhenAll(others);
            var outcomes = await Task.WhenAll(full.Select(async t =>
            {
                try { return (await t).Id.ToString(); }
                catch (QueueQuotaExceededException e) { return $"refused {e.Quota} {e.QueuedMessages}"; }
            }));
            Assert.Equal(["refused Messages 3"], outcomes.Where(o => o.StartsWith("refused", StringComparison.Ordinal)));
            Assert.Equal(3L, await QueueContractTests.CountRowsAsync(host.DataSource, "full"));
        }
        await AssertUsageMatchesAsync(host.DataSource);
    }

    [Fact]
    public async Task A_database_error_fails_exactly_the_callers_of_that_flush_and_the_writer_carries_on()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: OneWriter);
        await using (var command = host.DataSource.CreateCommand("""
            CREATE FUNCTION pickup.poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.connection_id = 'poison' THEN RAISE EXCEPTION 'poisoned message' USING ERRCODE = 'P0001'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER poison BEFORE INSERT ON pickup.messages FOR EACH ROW EXECUTE FUNCTION pickup.poison();
            """))
        {
            await command.ExecuteNonQueryAsync();
        }

        Task<AddedMessage> first;
        Task<AddedMessage>[] flush;
        await using (var blocker = await WriterBlocker.StartAsync(host))
        {
            first = blocker.BlockedAdd;
            flush = [.. Enumerable.Range(0, 5).Select(i => host.Queue.AddMessageAsync(Message($"victim-{i}"))),
                host.Queue.AddMessageAsync(Message("poison"))];
            await WaitForQueuedAsync(host, 6);
            await blocker.ReleaseAsync();
        }

        await first; // the flush before is not affected
        foreach (var add in flush)
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => add);
            Assert.Equal("P0001", error.SqlState);
        }
        // All or nothing: none of that flush's rows (nor usage, nor outbox rows) was committed.
        Assert.Equal(0L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.messages WHERE connection_id <> 'blocker'"));
        Assert.Equal(0L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT coalesce(sum(message_count), 0)::bigint FROM pickup.connection_usage WHERE connection_id <> 'blocker'"));
        Assert.Equal(2L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.outbox"));

        var after = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => host.Queue.AddMessageAsync(Message($"victim-{i}"))));
        Assert.Equal(5, after.Select(a => a.Id).Distinct().Count());
        await AssertUsageMatchesAsync(host.DataSource);
    }

    [Fact]
    public async Task Terminating_the_writer_backend_mid_flush_fails_its_callers_and_the_writer_carries_on()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: OneWriter);
        Task<AddedMessage> blocked;
        await using (var blocker = await WriterBlocker.StartAsync(host))
        {
            blocked = blocker.BlockedAdd;
            await using var kill = host.DataSource.CreateCommand("SELECT pg_terminate_backend($1)");
            kill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = blocker.WaitingBackend });
            Assert.True((bool)(await kill.ExecuteScalarAsync())!);
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => blocked);
        }
        Assert.Equal(1L, await QueueContractTests.CountRowsAsync(host.DataSource, "blocker"));
        var next = await host.Queue.AddMessageAsync(Message("blocker"));
        Assert.Equal(next.Id, (await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("blocker", Limit: 10)))[^1].Id);
        await AssertUsageMatchesAsync(host.DataSource);
    }

    [Fact]
    public async Task An_add_cancelled_before_its_write_starts_is_never_written()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: OneWriter);
        using var cancel = new CancellationTokenSource();
        Task<AddedMessage> cancelled, kept;
        await using (var blocker = await WriterBlocker.StartAsync(host))
        {
            cancelled = host.Queue.AddMessageAsync(Message("cancelled"), cancel.Token);
            kept = host.Queue.AddMessageAsync(Message("kept"));
            await WaitForQueuedAsync(host, 2);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            await blocker.ReleaseAsync();
        }
        await kept;
        Assert.Equal(0L, await QueueContractTests.CountRowsAsync(host.DataSource, "cancelled"));
        Assert.Equal(1L, await QueueContractTests.CountRowsAsync(host.DataSource, "kept"));
    }

    [Fact]
    public async Task A_flush_wakes_each_remote_instance_with_one_notify_for_all_its_messages()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var holder = await PickupTestHost.StartAsync(database, "holder");
        await using var adder = await PickupTestHost.StartAsync(database, "adder", OneWriter);
        await using var spy = await ChannelSpy.StartAsync(database, Channels.ForInstance("pickup", "holder"));
        for (var i = 0; i < 3; i++) await holder.Sessions.RegisterSessionAsync($"live-{i}", $"socket-{i}");

        Task<AddedMessage>[] adds;
        await using (var blocker = await WriterBlocker.StartAsync(adder))
        {
            adds = [.. Enumerable.Range(0, 9).Select(i => adder.Queue.AddMessageAsync(Message($"live-{i % 3}")))];
            await WaitForQueuedAsync(adder, 9);
            await blocker.ReleaseAsync();
        }
        var added = await Task.WhenAll(adds);
        Assert.All(added, a => Assert.Equal(["holder"], a.WokenInstanceIds));
        foreach (var a in added)
        {
            await holder.Deliveries.WaitForAsync(w => w.HintedIds.Contains(a.Id), $"holder woken for {a.Id}");
        }

        var payload = await spy.NextAsync();
        Assert.All(added, a => Assert.Contains(a.Id.ToString(), payload));
        // A marker sent now arrives after anything the flush sent: there was exactly one NOTIFY.
        await using (var marker = adder.DataSource.CreateCommand("SELECT pg_notify($1, 'marker')"))
        {
            marker.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channels.ForInstance("pickup", "holder") });
            await marker.ExecuteNonQueryAsync();
        }
        Assert.Equal("marker", await spy.NextAsync());
    }

    internal static async Task AssertUsageMatchesAsync(NpgsqlDataSource dataSource)
    {
        var mismatches = await ReplicaTests.ScalarAsync(dataSource, """
            SELECT count(*) FROM pickup.connection_usage AS u
            FULL JOIN (SELECT connection_id, count(*) AS n, sum(envelope_size) AS b FROM pickup.messages GROUP BY connection_id) AS m
              ON m.connection_id = u.connection_id
            WHERE coalesce(u.message_count, 0) <> coalesce(m.n, 0) OR coalesce(u.byte_count, 0) <> coalesce(m.b, 0)
            """);
        Assert.Equal(0L, mismatches);
    }

    private static async Task WaitForQueuedAsync(PickupTestHost host, int count)
    {
        var writer = host.Services.GetRequiredService<AddWriter>();
        await Eventually.TrueAsync(() => Task.FromResult(writer.Waiting >= count), $"{count} adds waiting for the writer");
    }

    /// <summary>Holds the "blocker" connection's usage row locked; an add for it occupies the (single) writer.</summary>
    private sealed class WriterBlocker : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private NpgsqlTransaction? _transaction;

        private WriterBlocker(NpgsqlConnection connection, NpgsqlTransaction transaction, Task<AddedMessage> blockedAdd, int waitingBackend)
        {
            _connection = connection;
            _transaction = transaction;
            BlockedAdd = blockedAdd;
            WaitingBackend = waitingBackend;
        }

        public Task<AddedMessage> BlockedAdd { get; }

        /// <summary>The writer's backend, waiting for the lock.</summary>
        public int WaitingBackend { get; }

        public static async Task<WriterBlocker> StartAsync(PickupTestHost host)
        {
            await host.Queue.AddMessageAsync(Message("blocker"));
            var connection = await host.DataSource.OpenConnectionAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using (var lockRow = new NpgsqlCommand(
                "SELECT 1 FROM pickup.connection_usage WHERE connection_id = 'blocker' FOR UPDATE", connection, transaction))
            {
                await lockRow.ExecuteNonQueryAsync();
            }
            var blocked = host.Queue.AddMessageAsync(Message("blocker"));
            var waiting = 0;
            await Eventually.TrueAsync(async () =>
            {
                await using var command = host.DataSource.CreateCommand("""
                    SELECT pid FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock' AND $1 = ANY (pg_blocking_pids(pid))
                    """);
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = connection.ProcessID });
                waiting = await command.ExecuteScalarAsync() is int pid ? pid : 0;
                return waiting != 0;
            }, "the writer waiting for the blocker's lock");
            return new WriterBlocker(connection, transaction, blocked, waiting);
        }

        public async Task ReleaseAsync()
        {
            if (_transaction is null) return;
            await _transaction.RollbackAsync();
            await _transaction.DisposeAsync();
            _transaction = null;
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await _connection.DisposeAsync();
        }
    }
}
