using Npgsql;
using PickupAspire.TestSupport;

namespace Pickup.Core.Tests;

public class PostgresServerTests
{
    [Fact]
    public async Task A_created_database_is_empty_and_reachable()
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync("fixture");

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.StartsWith("fixture_", reader.GetString(0));
        Assert.Equal(0L, reader.GetInt64(1));
    }
}
