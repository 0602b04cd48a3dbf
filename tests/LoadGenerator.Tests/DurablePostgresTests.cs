using LoadGenerator.Postgres;
using Npgsql;

namespace LoadGenerator.Tests;

public class DurablePostgresTests
{
    [Fact]
    public async Task The_benchmark_server_is_durable_and_goes_away_when_disposed()
    {
        int pid;
        await using (var server = await DurablePostgres.StartAsync(null, CancellationToken.None))
        {
            pid = server.Pid;
            await server.CreateDatabaseAsync("bench_check", CancellationToken.None);
            await using var connection = new NpgsqlConnection(server.ConnectionString("bench_check"));
            await connection.OpenAsync();
            foreach (var (name, expected) in new[] { ("fsync", "on"), ("synchronous_commit", "on"), ("full_page_writes", "on"), ("max_wal_size", "2GB") })
            {
                await using var show = new NpgsqlCommand($"SHOW {name}", connection);
                Assert.Equal(expected, (string?)await show.ExecuteScalarAsync());
            }
            await Assert.ThrowsAsync<ArgumentException>(() => server.CreateDatabaseAsync("bad name; drop", CancellationToken.None));
        }
        Assert.False(Directory.Exists($"/proc/{pid}") && File.ReadAllText($"/proc/{pid}/stat").Contains("(postgres)", StringComparison.Ordinal));
    }
}
