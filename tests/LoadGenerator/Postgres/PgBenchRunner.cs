using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace LoadGenerator.Postgres;

/// <summary>What pgbench measured.</summary>
public sealed record PgBenchResult(double TransactionsPerSecond, long Transactions, int Clients, int Seconds, int PayloadBytes, double LatencyAverageMs);

/// <summary>
/// PostgreSQL's own ceiling for the mediator's write: pgbench running a durable single-row INSERT of a payload of the
/// forward's size into a queue-shaped table (bigint identity key, recipient, timestamp, payload, and the
/// (recipient, created_at) index a take needs), at the sender's concurrency, prepared statements,
/// <c>synchronous_commit=on</c> for its sessions.
/// </summary>
public static partial class PgBenchRunner
{
    public const string Table = "loadgen_pgbench";

    public const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS loadgen_pgbench (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            recipient integer NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            payload text NOT NULL);
        CREATE INDEX IF NOT EXISTS loadgen_pgbench_recipient ON loadgen_pgbench (recipient, created_at);
        TRUNCATE loadgen_pgbench;
        """;

    /// <summary>The pgbench script: one INSERT per transaction (autocommit), a random recipient, a fixed random payload.</summary>
    public static string BuildScript(int payloadBytes, int recipients)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(recipients, 1);
        // Random base64url text: incompressible, and needs no quoting.
        var payload = Convert.ToBase64String(RandomNumberGenerator.GetBytes(payloadBytes)).Replace('+', '-').Replace('/', '_')[..payloadBytes];
        return $"""
            \set r random(1, {recipients.ToString(CultureInfo.InvariantCulture)})
            INSERT INTO loadgen_pgbench (recipient, payload) VALUES (:r, '{payload}');

            """;
    }

    /// <summary>Reads <c>tps = N (without initial connection time)</c> (pgbench 14+), transactions and average latency.</summary>
    /// <exception cref="FormatException">No tps line in the output.</exception>
    public static (double Tps, long Transactions, double LatencyAverageMs) ParseOutput(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var tps = TpsLine().Match(output);
        if (!tps.Success) throw new FormatException($"No 'tps = ...' line in pgbench's output: {output}");
        var processed = ProcessedLine().Match(output);
        var latency = LatencyLine().Match(output);
        return (double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture),
            processed.Success ? long.Parse(processed.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            latency.Success ? double.Parse(latency.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>Creates the table in <paramref name="database"/> and runs pgbench for <paramref name="seconds"/>.</summary>
    public static async Task<PgBenchResult> RunAsync(string binDirectory, string host, int port, string user, string database,
        int clients, int seconds, int payloadBytes, int recipients, CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder { Host = host, Port = port, Username = user, Database = database, Pooling = false }.ConnectionString;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(CreateTableSql, connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var script = Path.Combine(Path.GetTempPath(), $"loadgen-pgbench-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(script, BuildScript(payloadBytes, recipients), Encoding.ASCII, cancellationToken).ConfigureAwait(false);
        try
        {
            var info = new ProcessStartInfo(Path.Combine(binDirectory, "pgbench"));
            foreach (var a in new[]
            {
                "-n", "-h", host, "-p", port.ToString(CultureInfo.InvariantCulture), "-U", user,
                "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
                "-T", seconds.ToString(CultureInfo.InvariantCulture), "-M", "prepared", "-f", script, database,
            }) info.ArgumentList.Add(a);
            info.Environment["PGOPTIONS"] = "-c synchronous_commit=on";
            var (exitCode, output, errors) = await ToolProcess.RunAsync(info, TimeSpan.FromSeconds(seconds + 60), cancellationToken).ConfigureAwait(false);
            if (exitCode != 0) throw new InvalidOperationException($"pgbench failed ({exitCode}): {errors}{output}");
            var (tps, transactions, latency) = ParseOutput(output);
            return new PgBenchResult(tps, transactions, clients, seconds, payloadBytes, latency);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"number of transactions actually processed: ([0-9]+)")]
    private static partial Regex ProcessedLine();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyLine();
}
