using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pickup.Core.Hosting;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Queue;

public class QueryPlanTests
{
    [Fact]
    public async Task Take_count_and_quota_read_one_connection_through_the_connection_index()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var sql = host.Services.GetRequiredService<PickupRuntime>().Sql;
        await using var connection = await host.DataSource.OpenConnectionAsync();
        await using (var analyze = new NpgsqlCommand("ANALYZE pickup.messages; SET enable_seqscan = off", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        foreach (var (name, statement, parameters) in new (string, string, object[])[]
        {
            ("take", sql.TakeLease, ["c", DBNull.Value, 5, TimeSpan.FromDays(1), 10, "i", DBNull.Value, TimeSpan.FromMinutes(1)]),
            ("count", sql.Count, ["c", DBNull.Value, 5, TimeSpan.FromDays(1)]),
            ("add", sql.Add, [Guid.NewGuid(), "c", new[] { "k" }, new byte[] { 1 }, 1, DBNull.Value, 10L, 100L, TimeSpan.FromSeconds(30)]),
        })
        {
            await using var explain = new NpgsqlCommand("EXPLAIN " + statement, connection);
            foreach (var value in parameters)
            {
                explain.Parameters.Add(value is DBNull
                    ? new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = DBNull.Value }
                    : new NpgsqlParameter { Value = value });
            }
            var plan = new List<string>();
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
            var text = string.Join("\n", plan);
            Assert.True(text.Contains("messages_connection_seq_idx"), $"{name} does not use the connection index:\n{text}");
        }
    }
}
