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

    public static Task<PostgresServer> StartDurableServerAsync() => PostgresServer.StartDedicatedAsync(PostgresServer.DurableSettings);

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
