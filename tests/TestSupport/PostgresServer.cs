using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace PickupAspire.TestSupport;

/// <summary>
/// A real PostgreSQL server for tests. Uses <c>PICKUP_TEST_POSTGRES</c> (a connection string to a superuser-capable
/// role) when set; otherwise starts a throw-away server from the machine's own binaries on a free loopback port, once per
/// test process, and removes it when the process exits. Each test asks for its own database or its own identifiers, so
/// tests never see each other's data.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string ConnectionStringVariable = "PICKUP_TEST_POSTGRES";

    private static readonly SemaphoreSlim StartLock = new(1, 1);
    private static PostgresServer? _shared;

    private readonly Process? _process;
    private readonly string? _dataDirectory;

    private PostgresServer(string adminConnectionString, Process? process, string? dataDirectory, string? binDirectory = null)
    {
        AdminConnectionString = adminConnectionString;
        _process = process;
        _dataDirectory = dataDirectory;
        BinDirectory = binDirectory;
    }

    /// <summary>The test defaults: throw-away data, durability off for speed.</summary>
    public static IReadOnlyDictionary<string, string> TestSettings { get; } = new Dictionary<string, string>
    {
        ["fsync"] = "off", ["synchronous_commit"] = "off", ["full_page_writes"] = "off",
        ["max_connections"] = "400", ["shared_buffers"] = "128MB",
    };

    /// <summary>Durable settings for benchmarks (fsync, synchronous_commit and full_page_writes on), with the larger
    /// shared_buffers and max_wal_size that ../shared/POSTGRES.md advises (no forced checkpoint every few seconds).</summary>
    public static IReadOnlyDictionary<string, string> DurableSettings { get; } = new Dictionary<string, string>
    {
        ["fsync"] = "on", ["synchronous_commit"] = "on", ["full_page_writes"] = "on",
        ["max_connections"] = "400", ["shared_buffers"] = "512MB", ["max_wal_size"] = "4GB",
        ["checkpoint_timeout"] = "15min",
    };

    /// <summary>The directory of the server's binaries (pgbench, psql) when this process started it; null otherwise.</summary>
    public string? BinDirectory { get; }

    /// <summary>
    /// Starts a server of its own (not the shared one) from the machine's binaries with <paramref name="settings"/>
    /// (<c>-c name=value</c>; keys not given keep <see cref="TestSettings"/>), removed on dispose or process exit.
    /// Ignores <c>PICKUP_TEST_POSTGRES</c>: the point is to control the settings.
    /// </summary>
    public static async Task<PostgresServer> StartDedicatedAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var server = await StartLocalAsync(settings, cancellationToken).ConfigureAwait(false);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopLocal();
        return server;
    }

    /// <summary>Connection string to the server's maintenance database, as a role that may create databases.</summary>
    public string AdminConnectionString { get; }

    /// <summary>The server shared by every test in this process (started on first use).</summary>
    public static async Task<PostgresServer> GetSharedAsync(CancellationToken cancellationToken = default)
    {
        if (_shared is not null) return _shared;
        await StartLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_shared is not null) return _shared;
            var external = Environment.GetEnvironmentVariable(ConnectionStringVariable);
            _shared = string.IsNullOrWhiteSpace(external)
                ? await StartLocalAsync(TestSettings, cancellationToken).ConfigureAwait(false)
                : new PostgresServer(external, null, null);
            if (_shared._process is not null)
            {
                var server = _shared;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopLocal();
            }
            return _shared;
        }
        finally
        {
            StartLock.Release();
        }
    }

    /// <summary>Creates a fresh, empty database and returns a connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t", CancellationToken cancellationToken = default)
    {
        var name = UniqueName(prefix);
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return DatabaseConnectionString(name);
    }

    /// <summary>A connection string to the named database on this server (which need not exist yet).</summary>
    public string DatabaseConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    /// <summary>A lower-case identifier that no other test (in this or a parallel run) uses.</summary>
    public static string UniqueName(string prefix) =>
        $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 1 + 20, prefix.Length + 33)].ToLowerInvariant();

    public ValueTask DisposeAsync()
    {
        StopLocal();
        return ValueTask.CompletedTask;
    }

    private void StopLocal()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        TryDeleteDirectory(_dataDirectory);
    }

    // ---------------------------------------------------------------- local server

    private static readonly string BaseDirectory = Path.Combine(Path.GetTempPath(), "pickupaspire-test-pg");

    private static async Task<PostgresServer> StartLocalAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var effective = new Dictionary<string, string>(TestSettings);
        foreach (var (name, value) in settings) effective[name] = value;
        var bin = FindBinaries();
        Directory.CreateDirectory(BaseDirectory);
        MakeWorldWritable(BaseDirectory);
        RemoveStaleRuns();

        var runDirectory = Path.Combine(BaseDirectory, $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(runDirectory);
        File.WriteAllText(Path.Combine(runDirectory, "owner.pid"), Environment.ProcessId.ToString());
        var dataDirectory = Path.Combine(runDirectory, "data");
        var asRoot = Environment.IsPrivilegedProcess;
        if (asRoot) Chown(runDirectory);

        await RunToEndAsync(bin, "initdb", asRoot,
            ["-D", dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
            cancellationToken).ConfigureAwait(false);

        // Several attempts: a free port found now may be taken by a parallel run before postgres binds it.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            // Tests: throw-away data, durability off for speed (TestSettings). Benchmarks pass DurableSettings.
            var process = Start(bin, "postgres", asRoot,
            [
                "-D", dataDirectory, "-p", port.ToString(),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                .. effective.SelectMany(s => new[] { "-c", $"{s.Key}={s.Value}" }),
            ]);
            var admin = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres",
                Pooling = false, Timeout = 5,
            }.ConnectionString;
            if (await WaitUntilReadyAsync(process, admin, cancellationToken).ConfigureAwait(false))
            {
                var pooled = new NpgsqlConnectionStringBuilder(admin) { Pooling = true }.ConnectionString;
                return new PostgresServer(pooled, process, runDirectory, bin);
            }
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            if (attempt >= 3)
            {
                throw new InvalidOperationException($"PostgreSQL did not start from {bin} (port {port}). {LogOf(process)}");
            }
        }
    }

    private static async Task<bool> WaitUntilReadyAsync(Process process, string admin, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) return false;
            try
            {
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (NpgsqlException)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        return false;
    }

    private static string FindBinaries()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("PICKUP_PG_BIN") is { Length: > 0 } configured) candidates.Add(configured);
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres")) && File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException(
                $"No PostgreSQL server binaries found (looked in {string.Join(", ", candidates)}). Install the postgresql " +
                $"package, set PICKUP_PG_BIN, or set {ConnectionStringVariable} to a connection string.");
    }

    private static Process Start(string bin, string program, bool asRoot, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (asRoot)
        {
            // initdb and postgres refuse to run as root.
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
        // Drain both pipes so the server never blocks on a full pipe; keep the tail of its log for error messages.
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Keep(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            log.Enqueue(e.Data);
            while (log.Count > 50) log.TryDequeue(out var _);
        }
        process.OutputDataReceived += Keep;
        process.ErrorDataReceived += Keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Logs[process.Id] = log;
        return process;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, System.Collections.Concurrent.ConcurrentQueue<string>> Logs = new();

    private static string LogOf(Process process) =>
        Logs.TryGetValue(process.Id, out var log) ? string.Join(Environment.NewLine, log) : "";

    private static async Task RunToEndAsync(string bin, string program, bool asRoot, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using var process = Start(bin, program, asRoot, arguments);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} failed with exit code {process.ExitCode}: {LogOf(process)}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Chown(string directory)
    {
        using var chown = Process.Start("chown", ["-R", "postgres:postgres", directory]);
        chown.WaitForExit();
        if (chown.ExitCode != 0) throw new InvalidOperationException($"chown of {directory} to postgres failed.");
    }

    private static void MakeWorldWritable(string directory)
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                    | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit);
            }
            catch (UnauthorizedAccessException)
            {
                // Owned by another user from an earlier run: it is already usable as it is.
            }
        }
    }

    /// <summary>Removes servers left behind by test processes that died without cleaning up.</summary>
    private static void RemoveStaleRuns()
    {
        foreach (var run in Directory.GetDirectories(BaseDirectory))
        {
            var ownerFile = Path.Combine(run, "owner.pid");
            if (File.Exists(ownerFile) && int.TryParse(File.ReadAllText(ownerFile), out var owner) && IsAlive(owner)) continue;
            var postmaster = Path.Combine(run, "data", "postmaster.pid");
            if (File.Exists(postmaster) && int.TryParse(File.ReadLines(postmaster).FirstOrDefault(), out var serverPid) && IsAlive(serverPid))
            {
                try { Process.GetProcessById(serverPid).Kill(entireProcessTree: true); }
                catch (ArgumentException) { }
                catch (InvalidOperationException) { }
            }
            TryDeleteDirectory(run);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDeleteDirectory(string? directory)
    {
        if (directory is null) return;
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
