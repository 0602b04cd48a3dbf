using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pickup.Core.Hosting;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Queue;

public class QueryPlanTests
{
    [Fact]
    public async Task Take_and_count_read_one_connection_through_the_connection_index_and_add_reads_no_messages()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var sql = host.Services.GetRequiredService<PickupRuntime>().Sql;
        await using var connection = await host.DataSource.OpenConnectionAsync();
        // A queue of 20 connections with messages of many ages, analysed; the plans are the generic ones, which is
        // what a prepared statement runs after its first executions (parameters unknown to the planner).
        await using (var analyze = new NpgsqlCommand("""
            INSERT INTO pickup.messages (id, connection_id, envelope, envelope_size, received_at)
            SELECT gen_random_uuid(), 'c' || (g % 20), '\x01', 1, now() - make_interval(secs => g)
            FROM generate_series(1, 4000) AS g;
            ANALYZE pickup.messages;
            SET enable_seqscan = off;
            SET plan_cache_mode = force_generic_plan;
            """, connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        // SQL-level PREPARE + EXPLAIN EXECUTE, so that plan_cache_mode applies (an EXPLAIN with bound parameters would
        // be planned for those values).
        var statements = 0;
        foreach (var (name, statement, types, arguments) in new (string, string, string, string)[]
        {
            ("take", sql.TakeLease, "text, text, integer, interval, integer, text, text, interval",
                "'c1', NULL, 5, '1 day', 10, 'i', NULL, '1 minute'"),
            ("take for a key", sql.TakeLeaseForKey, "text, text, integer, interval, integer, text, text, interval",
                "'c1', 'k', 5, '1 day', 10, 'i', NULL, '1 minute'"),
            ("take and delete", sql.TakeDelete, "text, text, integer, interval, integer", "'c1', NULL, 5, '1 day', 10"),
            ("count", sql.Count, "text, text, integer, interval", "'c1', NULL, 5, '1 day'"),
            ("count for a key", sql.CountForKey, "text, text, integer, interval", "'c1', 'k', 5, '1 day'"),
            ("add (O(1) quota: no read of messages)", sql.Add, "uuid, text, text[], bytea, integer, text, bigint, bigint, interval",
                $"'{Guid.NewGuid()}', 'c', '{{k}}', '\\x01', 1, NULL, 10, 100, '30 seconds'"),
            ("add batch (O(1) quota: no read of messages)", sql.AddBatch,
                "uuid[], text[], text[], integer[], integer[], bytea[], integer[], text[], bigint, bigint, interval",
                $"'{{{Guid.NewGuid()},{Guid.NewGuid()}}}', '{{c,d}}', '{{k}}', '{{1,2}}', '{{1,1}}', '{{\"\\\\x01\",\"\\\\x02\"}}', '{{1,1}}', '{{NULL,t}}', 10, 100, '30 seconds'"),
        })
        {
            var prepared = $"plan_{++statements}";
            await using (var prepare = new NpgsqlCommand($"PREPARE {prepared} ({types}) AS {statement}", connection))
            {
                await prepare.ExecuteNonQueryAsync();
            }
            await using var explain = new NpgsqlCommand($"EXPLAIN EXECUTE {prepared} ({arguments})", connection);
            var plan = new List<string>();
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
            var text = string.Join("\n", plan);
            if (name.StartsWith("add", StringComparison.Ordinal))
            {
                Assert.False(plan.Any(line => line.Contains("Scan", StringComparison.Ordinal) && line.Contains(" on messages", StringComparison.Ordinal)),
                    $"{name} reads the messages table:\n{text}");
                Assert.Contains("connection_usage", text);
            }
            else
            {
                Assert.True(text.Contains("messages_connection_seq_idx"), $"{name} does not use the connection index:\n{text}");
                // Only that index: no bitmap of every young message in the table AND-ed with it.
                Assert.DoesNotContain("received_at_idx", text);
                Assert.DoesNotContain("BitmapAnd", text);
                // The take walks the index in arrival order and stops at its limit: no sort of the connection's queue.
                if (name is "take" or "take and delete") Assert.DoesNotContain("Sort", text);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Takes_walk_the_connection_index_in_order_and_acks_probe_ids_whatever_the_statistics_say(bool analysedWhenEmpty)
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var sql = host.Services.GetRequiredService<PickupRuntime>().Sql;
        await using var connection = await host.DataSource.OpenConnectionAsync();
        // Then a deep queue for one connection and some churn. Never analysed (a new deployment, a benchmark's first
        // minute), the planner's guesses favour a bitmap scan of the connection's whole range and a sort; analysed while
        // empty but with pages (a live queue between bursts), it believes the table is empty and may join by walking
        // the whole primary key.
        if (analysedWhenEmpty)
        {
            await using var burst = new NpgsqlCommand("""
                INSERT INTO pickup.messages (id, connection_id, envelope, envelope_size)
                SELECT gen_random_uuid(), 'burst', decode(repeat('ab', 1024), 'hex'), 1024 FROM generate_series(1, 3000) AS g;
                DELETE FROM pickup.messages WHERE connection_id = 'burst';
                ANALYZE pickup.messages;
                """, connection);
            await burst.ExecuteNonQueryAsync();
        }
        await using (var fill = new NpgsqlCommand("""
            INSERT INTO pickup.messages (id, connection_id, envelope, envelope_size)
            SELECT gen_random_uuid(), CASE WHEN g % 4 = 0 THEN 'other' ELSE 'deep' END, decode(repeat('ab', 1024), 'hex'), 1024
            FROM generate_series(1, 3000) AS g;
            DELETE FROM pickup.messages WHERE connection_id = 'other';
            SET plan_cache_mode = force_generic_plan;
            """, connection))
        {
            await fill.ExecuteNonQueryAsync();
        }

        var statements = 0;
        foreach (var (name, statement, types, arguments) in new (string, string, string, string)[]
        {
            ("take", sql.TakeLease, "text, text, integer, interval, integer, text, text, interval", "'deep', NULL, 5, '1 day', 10, 'i', NULL, '1 minute'"),
            ("take for a key", sql.TakeLeaseForKey, "text, text, integer, interval, integer, text, text, interval", "'deep', 'k', 5, '1 day', 10, 'i', NULL, '1 minute'"),
            ("take and delete", sql.TakeDelete, "text, text, integer, interval, integer", "'deep', NULL, 5, '1 day', 10"),
            ("take and delete for a key", sql.TakeDeleteForKey, "text, text, integer, interval, integer", "'deep', 'k', 5, '1 day', 10"),
            ("acknowledgement", sql.Remove, "text, uuid[]", $"'deep', '{{{Guid.NewGuid()},{Guid.NewGuid()}}}'"),
            ("acknowledgement with status", sql.RemoveWithStatus, "text, uuid[], integer, interval",
                $"'deep', '{{{Guid.NewGuid()},{Guid.NewGuid()}}}', 5, '1 day'"),
        })
        {
            var prepared = $"fresh_{++statements}";
            // As TakeAsync sends it: the settings statement first, in the same transaction.
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var prepare = new NpgsqlCommand($"{PickupSql.TakeSettings}; PREPARE {prepared} ({types}) AS {statement}", connection, transaction))
            {
                await prepare.ExecuteNonQueryAsync();
            }
            await using var explain = new NpgsqlCommand($"EXPLAIN EXECUTE {prepared} ({arguments})", connection, transaction);
            var plan = new List<string>();
            await using (var reader = await explain.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
            }
            var text = string.Join("\n", plan);
            if (name == "acknowledgement")
            {
                // The ids through the primary key; never the connection's range.
                Assert.True(text.Contains("messages_pkey", StringComparison.Ordinal), $"{name} does not probe the primary key:\n{text}");
                Assert.DoesNotContain("messages_connection_seq_idx", text);
            }
            else if (name == "acknowledgement with status")
            {
                // The status reads the connection's range (it counts all of it); the delete probes the primary key.
                Assert.True(text.Contains("messages_pkey", StringComparison.Ordinal), $"{name} does not probe the primary key:\n{text}");
                Assert.Single(plan, line => line.Contains("messages_connection_seq_idx", StringComparison.Ordinal) && line.Contains("Scan", StringComparison.Ordinal));
            }
            else
            {
                Assert.True(plan.Any(line => line.Contains("Index Scan using messages_connection_seq_idx", StringComparison.Ordinal)),
                    $"{name} does not walk the connection index:\n{text}");
                Assert.DoesNotContain("Sort", text);
                // The candidates' rows are then found by id (primary key), not by a join that walks the whole key.
                Assert.True(plan.Any(line => line.Contains("messages_pkey", StringComparison.Ordinal) && line.Contains("Index", StringComparison.Ordinal)),
                    $"{name} does not find its candidates by id:\n{text}");
                Assert.DoesNotContain("Join Filter", text);
            }
            Assert.DoesNotContain("Seq Scan", text);
            await transaction.RollbackAsync();
        }
    }
}
