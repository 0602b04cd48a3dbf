using LoadGenerator.Postgres;
using Npgsql;
using PickupAspire.TestSupport;

namespace LoadGenerator.Tests;

public class PgBenchRunnerTests
{
    private const string Pg15Output = """
        pgbench (15.18 (Debian 15.18-0+deb12u1))
        transaction type: /tmp/loadgen-pgbench.sql
        scaling factor: 1
        query mode: prepared
        number of clients: 16
        number of threads: 2
        maximum number of tries: 1
        duration: 10 s
        number of transactions actually processed: 151234
        number of failed transactions: 0 (0.000%)
        latency average = 1.058 ms
        initial connection time = 21.113 ms
        tps = 15123.456789 (without initial connection time)
        """;

    [Fact]
    public void Reads_tps_transactions_and_latency_from_pgbench_15_output()
    {
        var (tps, transactions, latency) = PgBenchRunner.ParseOutput(Pg15Output);
        Assert.Equal(15123.456789, tps, 6);
        Assert.Equal(151234, transactions);
        Assert.Equal(1.058, latency, 3);
    }

    [Fact]
    public void Output_without_a_tps_line_is_a_format_exception() =>
        Assert.Throws<FormatException>(() => PgBenchRunner.ParseOutput("pgbench: error: connection to server failed"));

    [Fact]
    public void The_script_inserts_one_row_with_a_payload_of_exactly_the_requested_size()
    {
        var script = PgBenchRunner.BuildScript(1000, 20);
        var lines = script.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(@"\set r random(1, 20)", lines[0]);
        var insert = lines[1];
        Assert.StartsWith("INSERT INTO loadgen_pgbench (recipient, payload) VALUES (:r, '", insert, StringComparison.Ordinal);
        var payload = insert[(insert.IndexOf('\'', StringComparison.Ordinal) + 1)..insert.LastIndexOf('\'')];
        Assert.Equal(1000, payload.Length);
        Assert.DoesNotContain('\'', payload);
        Assert.Throws<ArgumentOutOfRangeException>(() => PgBenchRunner.BuildScript(0, 1));
    }

    [Fact]
    public async Task Runs_pgbench_against_a_real_server_and_the_rows_are_there()
    {
        var server = await PostgresServer.GetSharedAsync();
        var cs = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("pgb"));
        var bin = DurablePostgres.FindBinaries();
        var result = await PgBenchRunner.RunAsync(bin, cs.Host!, cs.Port, cs.Username!, cs.Database!, clients: 2, seconds: 2,
            payloadBytes: 700, recipients: 5, CancellationToken.None);
        Assert.True(result.TransactionsPerSecond > 0);
        Assert.True(result.Transactions > 0);
        await using var connection = new NpgsqlConnection(cs.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*), min(length(payload)), max(length(payload)), max(recipient) FROM loadgen_pgbench", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(result.Transactions, reader.GetInt64(0));
        Assert.Equal(700, reader.GetInt32(1));
        Assert.Equal(700, reader.GetInt32(2));
        Assert.InRange(reader.GetInt32(3), 1, 5);
    }

    [Fact]
    public async Task A_failing_pgbench_is_reported_with_its_error()
    {
        var bin = DurablePostgres.FindBinaries();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => PgBenchRunner.RunAsync(bin, "127.0.0.1", 1, "postgres", "nothere", 1, 1, 100, 1, CancellationToken.None));
        Assert.True(e is NpgsqlException or InvalidOperationException, e.ToString());
    }
}
