using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace LoadGenerator.Postgres;

/// <summary>
/// A throw-away PostgreSQL server with durable settings (fsync, synchronous_commit and full_page_writes on), started
/// from the machine's binaries on a free loopback port; as root it runs as the <c>postgres</c> user (the server refuses
/// root). The test fixture's server turns durability off, which would flatter both the mediator and pgbench.
/// </summary>
public sealed class DurablePostgres : IAsyncDisposable
{
    /// <summary>The settings every run uses, printed in the report.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Settings =
    [
        new("fsync", "on"),
        new("synchronous_commit", "on"),
        new("full_page_writes", "on"),
        new("shared_buffers", "256MB"),
        new("max_wal_size", "2GB"),
        new("max_connections", "400"),
    ];

    private readonly Process _process;
    private readonly string _runDirectory;
    private readonly ConcurrentQueue<string> _log;

    private DurablePostgres(string binDirectory, int port, Process process, string runDirectory, ConcurrentQueue<string> log)
    {
        BinDirectory = binDirectory;
        Port = port;
        _process = process;
        _runDirectory = runDirectory;
        _log = log;
    }

    public string BinDirectory { get; }
    public int Port { get; }
    public int Pid => _process.Id;
    public string Host => "127.0.0.1";
    public string User => "postgres";

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Username = User, Database = database, MaxPoolSize = 200,
    }.ConnectionString;

    /// <param name="trackStatements">Load pg_stat_statements (a diagnostic: which statements the mediator runs, how often).</param>
    public static async Task<DurablePostgres> StartAsync(string? binDirectory, CancellationToken cancellationToken, bool trackStatements = false)
    {
        var bin = binDirectory ?? FindBinaries();
        var runDirectory = Path.Combine(Path.GetTempPath(), "pickupaspire-loadgen-pg", $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(runDirectory);
        var asRoot = Environment.IsPrivilegedProcess;
        if (asRoot) await RunAsync("chown", ["-R", "postgres:postgres", runDirectory], cancellationToken).ConfigureAwait(false);
        var data = Path.Combine(runDirectory, "data");
        var initLog = new ConcurrentQueue<string>();
        using (var init = Start(bin, "initdb", asRoot, ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions"], initLog))
        {
            await init.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (init.ExitCode != 0) throw new InvalidOperationException($"initdb failed ({init.ExitCode}): {string.Join('\n', initLog)}");
        }
        var port = FreePort();
        var arguments = new List<string> { "-D", data, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" };
        foreach (var (name, value) in Settings) arguments.AddRange(["-c", $"{name}={value}"]);
        if (trackStatements) arguments.AddRange(["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all"]);
        var log = new ConcurrentQueue<string>();
        var process = Start(bin, "postgres", asRoot, arguments, log);
        var server = new DurablePostgres(bin, port, process, runDirectory, log);
        try
        {
            await server.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>Creates a database (name: letters, digits, underscore).</summary>
    public async Task CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z_][a-z0-9_]*$"))
            throw new ArgumentException($"'{name}' is not a plain lower-case identifier.", nameof(name));
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public string LogTail => string.Join('\n', _log);

    private const string CreateStatementsExtensionSql = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements";
    private const string ResetStatementsSql = "SELECT pg_stat_statements_reset()";
    private const string TopStatementsSql = """
        SELECT calls, total_exec_time, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 150)
        FROM pg_stat_statements
        WHERE query NOT LIKE '%pg_stat_statements%'
        ORDER BY total_exec_time DESC
        LIMIT $1
        """;
    private const string TotalStatementsSql = "SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'";

    /// <summary>Creates the extension in <paramref name="database"/> and clears its counters (start of a measured phase).</summary>
    public async Task ResetStatementsAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var create = new NpgsqlCommand(CreateStatementsExtensionSql, connection))
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var reset = new NpgsqlCommand(ResetStatementsSql, connection);
        await reset.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Total statements and execution ms since the reset, and the top <paramref name="top"/> by total time.</summary>
    public async Task<(long Calls, double TotalMs, IReadOnlyList<string> Top)> ReadStatementsAsync(string database, int top, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var lines = new List<string>();
        await using (var command = new NpgsqlCommand(TopStatementsSql, connection))
        {
            command.Parameters.AddWithValue(top);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{reader.GetInt64(0),8} calls {reader.GetDouble(1),9:0.0} ms {reader.GetInt64(2),8} rows  {reader.GetString(3)}"));
        }
        await using var total = new NpgsqlCommand(TotalStatementsSql, connection);
        await using var totals = await total.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await totals.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (totals.GetInt64(0), totals.GetDouble(1), lines);
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false, Timeout = 5 }.ConnectionString;
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited) throw new InvalidOperationException($"PostgreSQL exited at start: {LogTail}");
            try
            {
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        throw new TimeoutException($"PostgreSQL did not accept connections within 60 s: {LogTail}");
    }

    internal static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("PICKUP_PG_BIN") is { Length: > 0 } configured) return configured;
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            foreach (var dir in Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            {
                var bin = Path.Combine(dir, "bin");
                if (File.Exists(Path.Combine(bin, "postgres")) && File.Exists(Path.Combine(bin, "pgbench"))) return bin;
            }
        }
        throw new InvalidOperationException("No PostgreSQL binaries with pgbench under /usr/lib/postgresql/*/bin; set PICKUP_PG_BIN or --pg-bin.");
    }

    internal static Process Start(string bin, string program, bool asRoot, IEnumerable<string> arguments, ConcurrentQueue<string> log)
    {
        var info = new ProcessStartInfo { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (asRoot)
        {
            info.FileName = "setpriv";
            foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--" }) info.ArgumentList.Add(a);
            info.ArgumentList.Add(Path.Combine(bin, program));
        }
        else
        {
            info.FileName = Path.Combine(bin, program);
        }
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        void Keep(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            log.Enqueue(e.Data);
            while (log.Count > 40) log.TryDequeue(out var _);
        }
        process.OutputDataReceived += Keep;
        process.ErrorDataReceived += Keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        using var process = Process.Start(program, arguments);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
        }
        _process.Dispose();
        try { Directory.Delete(_runDirectory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
