using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pickup.Core;
using PickupAspire.TestSupport;

namespace Benchmarks.Pickup;

/// <summary>
/// A durable PostgreSQL of the benchmark's own (fsync, synchronous_commit and full_page_writes on; larger shared_buffers
/// and max_wal_size, see ../shared/POSTGRES.md) and Pickup.Core hosts on it.
/// </summary>
internal static class PickupBench
{
    public const int PayloadBytes = 1024;

    /// <summary>Random bytes: an encrypted envelope does not compress either.</summary>
    public static byte[] Payload(int bytes = PayloadBytes)
    {
        var payload = new byte[bytes];
        new Random(42).NextBytes(payload);
        return payload;
    }

    /// <summary>BENCH_STATEMENTS=1: the server also loads pg_stat_statements, and each measurement prints its top statements.</summary>
    public static bool StatementStats { get; } = Environment.GetEnvironmentVariable("BENCH_STATEMENTS") == "1";

    public static Task<PostgresServer> StartDurableServerAsync() => PostgresServer.StartDedicatedAsync(StatementStats
        ? new Dictionary<string, string>(PostgresServer.DurableSettings) { ["shared_preload_libraries"] = "pg_stat_statements" }
        : PostgresServer.DurableSettings);

    /// <summary>With <see cref="StatementStats"/>: resets the statistics of <paramref name="database"/>.</summary>
    public static async Task ResetStatementsAsync(PostgresServer server, string database)
    {
        if (!StatementStats) return;
        await ExecuteAsync(server.DatabaseConnectionString(database), "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()");
    }

    /// <summary>With <see cref="StatementStats"/>: prints the statements of <paramref name="database"/> by total execution
    /// time, per message (<paramref name="messages"/>), so that a regression shows which statement grew.</summary>
    public static async Task PrintStatementsAsync(PostgresServer server, string database, double messages)
    {
        if (!StatementStats || messages <= 0) return;
        await using var connection = new NpgsqlConnection(server.DatabaseConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT calls, total_exec_time, total_plan_time, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110)
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY total_exec_time + total_plan_time DESC LIMIT 12
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Console.WriteLine("    calls/msg  exec us/msg  plan us/msg  statement");
        while (await reader.ReadAsync())
        {
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"    {reader.GetInt64(0) / messages,9:0.00}  {reader.GetDouble(1) * 1000 / messages,11:0.0}  {reader.GetDouble(2) * 1000 / messages,11:0.0}  {reader.GetString(4)}"));
        }
    }

    /// <summary>A started Pickup.Core instance on a fresh database of <paramref name="server"/>.</summary>
    public static async Task<IHost> StartPickupAsync(PostgresServer server, string database, bool batching = true, Action<PickupOptions>? configure = null)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.DatabaseConnectionString(database))
        {
            MaxPoolSize = 200,
            NoResetOnClose = Environment.GetEnvironmentVariable("BENCH_NO_RESET") == "1",
        }.ConnectionString;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.Services.AddSingleton<IMessageDeliveryHandler, IgnoreWakeUps>();
        builder.AddPickupCore().Configure(o =>
        {
            o.InstanceId = "bench-" + database;
            o.WriteBatching.Enabled = batching;
            // BENCH_WRITERS=n: writer loops of the group commit (default: PickupOptions' own).
            if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_WRITERS"), out var writers)) o.WriteBatching.Writers = writers;
            // BENCH_DURABLE_LEASES=1: leases wait for their WAL flush too (PickupOptions.DurableLeases).
            o.DurableLeases = Environment.GetEnvironmentVariable("BENCH_DURABLE_LEASES") == "1";
            if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_MAX_BATCH"), out var maxBatch)) o.WriteBatching.MaxBatchSize = maxBatch;
            // Limits far away: the benchmark measures the write path, not refusals.
            o.MaxMessagesPerConnection = 100_000_000;
            o.MaxBytesPerConnection = 1L << 50;
            configure?.Invoke(o);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    public static async Task CreateDatabaseAsync(PostgresServer server, string database) =>
        await ExecuteAsync(server.AdminConnectionString, $"CREATE DATABASE \"{database}\"");

    private sealed class IgnoreWakeUps : IMessageDeliveryHandler
    {
        public Task MessagesAvailableAsync(string connectionId, string sessionId, IReadOnlyList<Guid> hintedIds, CancellationToken cancellationToken) =>
            Task.CompletedTask;
    }
}
