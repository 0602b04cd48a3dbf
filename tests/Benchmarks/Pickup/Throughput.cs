using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pickup.Core;
using PickupAspire.TestSupport;

namespace Benchmarks.Pickup;

/// <summary>
/// Repository-level throughput against PostgreSQL's own ceiling measured in the same run on the same durable server:
/// pgbench's durable single-row INSERT of a 1 KB payload at the same concurrency is the denominator of our
/// AddMessageAsync rate (batching on and off); pgbench scripts of the same SQL shapes are the denominators of the live
/// cycle (add; take 1; ack) and of the offline drain (take 100 + ack).
/// <code>dotnet run -c Release --project tests/Benchmarks -- throughput [--clients 16] [--seconds 15] [--drain 4000]</code>
/// </summary>
internal static partial class Throughput
{
    private sealed record Settings(int Clients, TimeSpan Duration, TimeSpan Warmup, int DrainPerClient);

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = new Settings(
            Arg(args, "--clients", 16),
            TimeSpan.FromSeconds(Arg(args, "--seconds", 15)),
            TimeSpan.FromSeconds(Arg(args, "--warmup", 3)),
            Arg(args, "--drain", 4000) / 100 * 100);
        var payload = PickupBench.Payload();
        var hex = Convert.ToHexStringLower(payload);

        if (Environment.GetEnvironmentVariable("BENCH_NO_RESET") == "1") Console.WriteLine("Pickup.Core's data source: No Reset On Close=true (BENCH_NO_RESET=1)");
        Console.WriteLine($"Starting a durable PostgreSQL ({string.Join(", ", PostgresServer.DurableSettings.Select(s => $"{s.Key}={s.Value}"))})");
        await using var server = await PickupBench.StartDurableServerAsync();
        var bin = server.BinDirectory ?? throw new InvalidOperationException("No PostgreSQL binaries (pgbench).");
        var version = await ScalarAsync(server.AdminConnectionString, "SELECT version()");
        var dataDirectory = await ScalarAsync(server.AdminConnectionString, "SHOW data_directory");
        _postmasterPid = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        Console.WriteLine($"{version}; {Environment.ProcessorCount} CPUs; .NET {Environment.Version}; {settings.Clients} clients, " +
                          $"{settings.Duration.TotalSeconds:0} s per run, {PickupBench.PayloadBytes} B payloads, load average {LoadAverage()}");
        var work = Path.Combine(Path.GetTempPath(), $"pickup-throughput-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        try
        {
            var only = args.Contains("--cycle-only");
            // ------------------------------------------------------------------ add
            await PickupBench.CreateDatabaseAsync(server, "pgbench");
            var pgbenchDb = server.DatabaseConnectionString("pgbench");
            await PickupBench.ExecuteAsync(pgbenchDb, """
                CREATE TABLE bench_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload bytea NOT NULL);
                CREATE TABLE bench_queue (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, conn int NOT NULL,
                    payload bytea NOT NULL, state text NOT NULL DEFAULT 'pending');
                CREATE INDEX ON bench_queue (conn, id);
                """);
            var insertScript = Script(work, "insert.sql", $"INSERT INTO bench_insert (payload) VALUES ('\\x{hex}'::bytea);");
            if (args.Contains("--add-only"))
            {
                // Quick loop for the add path: pgbench, ours (group commit on), pgbench again; the ratio to their mean.
                await PgbenchAsync(server, bin, settings.Clients, settings.Warmup, insertScript, "pgbench");
                var before = await PgbenchAsync(server, bin, settings.Clients, settings.Duration, insertScript, "pgbench", cpuName: "pg-insert");
                var ours = await MeasureAddAsync(server, "add_batched", batching: true, settings, payload);
                var after = await PgbenchAsync(server, bin, settings.Clients, settings.Duration, insertScript, "pgbench", cpuName: "pg-insert");
                Console.WriteLine($"pgbench {before:N0} / {after:N0} rows/s; add, group commit on: {ours:N0} msg/s = {ours / ((before + after) / 2):0.00}x");
                return 0;
            }
            if (only)
            {
                Console.WriteLine($"live cycle, on: {await MeasureLiveCycleAsync(server, "cycle_batched", batching: true, settings, payload):N0} msg/s");
                return 0;
            }
            await PgbenchAsync(server, bin, settings.Clients, settings.Warmup, insertScript, "pgbench");
            var pgInsert1 = await PgbenchAsync(server, bin, settings.Clients, settings.Duration, insertScript, "pgbench", cpuName: "pg-insert");
            Console.WriteLine($"pgbench single-row INSERT:           {pgInsert1,10:N0} rows/s");

            var addOn = await MeasureAddAsync(server, "add_batched", batching: true, settings, payload);
            Console.WriteLine($"AddMessageAsync, group commit on:    {addOn,10:N0} msg/s");
            var addOff = await MeasureAddAsync(server, "add_single", batching: false, settings, payload);
            Console.WriteLine($"AddMessageAsync, group commit off:   {addOff,10:N0} msg/s");

            var pgInsert2 = await PgbenchAsync(server, bin, settings.Clients, settings.Duration, insertScript, "pgbench");
            Console.WriteLine($"pgbench single-row INSERT (again):   {pgInsert2,10:N0} rows/s");
            var pgInsert = (pgInsert1 + pgInsert2) / 2;

            // ------------------------------------------------------------------ live cycle
            var cycleScript = Script(work, "cycle.sql", $"""
                INSERT INTO bench_queue (conn, payload) VALUES (:client_id, '\x{hex}'::bytea);
                UPDATE bench_queue SET state = 'leased' WHERE id IN (SELECT id FROM bench_queue WHERE conn = :client_id AND state = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, payload;
                DELETE FROM bench_queue WHERE conn = :client_id AND state = 'leased';
                """);
            var pgCycle = await PgbenchAsync(server, bin, settings.Clients, settings.Duration, cycleScript, "pgbench", cpuName: "pg-cycle");
            Console.WriteLine($"pgbench live cycle (3 commits):      {pgCycle,10:N0} msg/s");
            var cycleOn = await MeasureLiveCycleAsync(server, "cycle_batched", batching: true, settings, payload);
            Console.WriteLine($"live cycle, group commit on:         {cycleOn,10:N0} msg/s");
            var cycleOff = await MeasureLiveCycleAsync(server, "cycle_single", batching: false, settings, payload);
            Console.WriteLine($"live cycle, group commit off:        {cycleOff,10:N0} msg/s");

            // ------------------------------------------------------------------ offline drain
            var total = settings.DrainPerClient * settings.Clients;
            await PickupBench.ExecuteAsync(pgbenchDb, $"""
                TRUNCATE bench_queue;
                INSERT INTO bench_queue (conn, payload)
                SELECT c, '\x{hex}'::bytea FROM generate_series(1, {settings.DrainPerClient}) AS i, generate_series(0, {settings.Clients - 1}) AS c ORDER BY i, c;
                """);
            await PickupBench.ExecuteAsync(pgbenchDb, "VACUUM ANALYZE bench_queue");
            var drainScript = Script(work, "drain.sql", """
                UPDATE bench_queue AS m SET state = 'leased' FROM (SELECT id FROM bench_queue WHERE conn = :client_id AND state = 'pending' ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED) AS c WHERE m.id = c.id RETURNING m.id, m.payload;
                DELETE FROM bench_queue WHERE conn = :client_id AND state = 'leased';
                """);
            var pgDrain = 100 * await PgbenchAsync(server, bin, settings.Clients, null, drainScript, "pgbench", transactionsPerClient: settings.DrainPerClient / 100, cpuName: "pg-drain", messagesPerTransaction: 100);
            Console.WriteLine($"pgbench drain (claim 100 + delete):  {pgDrain,10:N0} msg/s ({total:N0} messages)");
            var drain = await MeasureDrainAsync(server, "drain", settings, payload);
            Console.WriteLine($"offline drain (take 100 + ack):      {drain,10:N0} msg/s ({total:N0} messages)");

            Console.WriteLine();
            Console.WriteLine($"add, group commit on:  ours / pgbench = {addOn / pgInsert:0.00}x   (pgbench INSERT {pgInsert:N0} rows/s, mean of before and after)");
            Console.WriteLine($"add, group commit off: ours / pgbench = {addOff / pgInsert:0.00}x");
            Console.WriteLine($"live cycle, on:        ours / pgbench = {cycleOn / pgCycle:0.00}x   (pgbench {pgCycle:N0} msg/s)");
            Console.WriteLine($"live cycle, off:       ours / pgbench = {cycleOff / pgCycle:0.00}x");
            Console.WriteLine($"offline drain:         ours / pgbench = {drain / pgDrain:0.00}x   (pgbench {pgDrain:N0} msg/s)");
            string CpuRatio(string ours, string theirs) =>
                CpuPerMessage.TryGetValue(ours, out var o) && CpuPerMessage.TryGetValue(theirs, out var t) && o > 0 ? $"{t / o:0.00}x" : "n/a";
            Console.WriteLine("CPU efficiency (pgbench CPU per message / ours, client + server; what the rate ratio tends to on an otherwise idle machine):");
            Console.WriteLine($"  add on {CpuRatio("add-on", "pg-insert")}, add off {CpuRatio("add-off", "pg-insert")}, live cycle on {CpuRatio("cycle-on", "pg-cycle")}, " +
                              $"off {CpuRatio("cycle-off", "pg-cycle")}, drain {CpuRatio("drain", "pg-drain")}");
            Console.WriteLine($"load average at the end: {LoadAverage()}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<double> MeasureAddAsync(PostgresServer server, string database, bool batching, Settings settings, byte[] payload)
    {
        await PickupBench.CreateDatabaseAsync(server, database);
        using var host = await PickupBench.StartPickupAsync(server, database, batching);
        try
        {
            var queue = host.Services.GetRequiredService<IMessagePickupRepository>();
            string[] keys = ["recipient-key"];
            async Task<int> Add(int client, long i, CancellationToken ct)
            {
                // Offline wallets (an outbox row each), spread over 1,000 connections.
                await queue.AddMessageAsync(new AddMessageRequest($"wallet-{(client * 7919 + i) % 1000}", keys, payload), ct);
                return 1;
            }
            await RunAsync(settings.Clients, settings.Warmup, Add);
            var writer = host.Services.GetRequiredService<AddWriter>();
            var (flushes, adds) = (writer.Flushes, writer.FlushedAdds);
            await PickupBench.ResetStatementsAsync(server, database);
            var rate = await RunAsync(settings.Clients, settings.Duration, Add, batching ? "add-on" : "add-off");
            await PickupBench.PrintStatementsAsync(server, database, rate * settings.Duration.TotalSeconds);
            if (batching) Console.WriteLine($"  (mean flush: {(writer.FlushedAdds - adds) / (double)Math.Max(1, writer.Flushes - flushes):0.0} adds)");
            return rate;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<double> MeasureLiveCycleAsync(PostgresServer server, string database, bool batching, Settings settings, byte[] payload)
    {
        await PickupBench.CreateDatabaseAsync(server, database);
        using var host = await PickupBench.StartPickupAsync(server, database, batching);
        try
        {
            var queue = host.Services.GetRequiredService<IMessagePickupRepository>();
            var sessions = host.Services.GetRequiredService<ILiveSessionRegistry>();
            for (var c = 0; c < settings.Clients; c++) await sessions.RegisterSessionAsync($"live-{c}", $"socket-{c}");
            string[] keys = ["recipient-key"];
            long addTicks = 0, takeTicks = 0, ackTicks = 0;
            async Task<int> Cycle(int client, long i, CancellationToken ct)
            {
                var connection = $"live-{client}";
                var t0 = Stopwatch.GetTimestamp();
                await queue.AddMessageAsync(new AddMessageRequest(connection, keys, payload), ct);
                var t1 = Stopwatch.GetTimestamp();
                var taken = await queue.TakeFromQueueAsync(new TakeFromQueueRequest(connection, 1, SessionId: $"socket-{client}"), ct);
                var t2 = Stopwatch.GetTimestamp();
                await queue.RemoveMessagesAsync(connection, [.. taken.Select(m => m.Id)], ct);
                var t3 = Stopwatch.GetTimestamp();
                Interlocked.Add(ref addTicks, t1 - t0);
                Interlocked.Add(ref takeTicks, t2 - t1);
                Interlocked.Add(ref ackTicks, t3 - t2);
                return taken.Count;
            }
            await RunAsync(settings.Clients, settings.Warmup, Cycle);
            (addTicks, takeTicks, ackTicks) = (0, 0, 0);
            await PickupBench.ResetStatementsAsync(server, database);
            var rate = await RunAsync(settings.Clients, settings.Duration, Cycle, batching ? "cycle-on" : "cycle-off");
            await PickupBench.PrintStatementsAsync(server, database, rate * settings.Duration.TotalSeconds);
            var cycles = rate * settings.Duration.TotalSeconds;
            double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / cycles;
            Console.WriteLine($"  (mean per cycle: add {Ms(addTicks):0.0} ms, take {Ms(takeTicks):0.0} ms, ack {Ms(ackTicks):0.0} ms)");
            return rate;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<double> MeasureDrainAsync(PostgresServer server, string database, Settings settings, byte[] payload)
    {
        await PickupBench.CreateDatabaseAsync(server, database);
        using var host = await PickupBench.StartPickupAsync(server, database);
        try
        {
            var queue = host.Services.GetRequiredService<IMessagePickupRepository>();
            string[] keys = ["recipient-key"];
            // Fill through the repository (group commit), interleaved over the connections as they would arrive.
            await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async c =>
            {
                for (var i = 0; i < settings.DrainPerClient; i += 100)
                {
                    await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => queue.AddMessageAsync(new AddMessageRequest($"offline-{c}", keys, payload))));
                }
            }));
            await PickupBench.ExecuteAsync(server.DatabaseConnectionString(database), "VACUUM ANALYZE pickup.messages");

            var cpu = Cpu();
            var stopwatch = Stopwatch.StartNew();
            var drained = await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(c => Task.Run(async () =>
            {
                var count = 0;
                while (true)
                {
                    var taken = await queue.TakeFromQueueAsync(new TakeFromQueueRequest($"offline-{c}", 100));
                    if (taken.Count == 0) return count;
                    count += await queue.RemoveMessagesAsync($"offline-{c}", [.. taken.Select(m => m.Id)]);
                }
            })));
            var rate = drained.Sum() / stopwatch.Elapsed.TotalSeconds;
            Console.WriteLine($"  ({CpuPer(drained.Sum(), cpu, "drain")})");
            if (drained.Sum() != settings.DrainPerClient * settings.Clients)
                throw new InvalidOperationException($"Drained {drained.Sum()} of {settings.DrainPerClient * settings.Clients} messages.");
            return rate;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Runs <paramref name="clients"/> loops of <paramref name="operation"/> for <paramref name="duration"/>;
    /// returns messages per second.</summary>
    private static async Task<double> RunAsync(int clients, TimeSpan duration, Func<int, long, CancellationToken, Task<int>> operation, string? cpuName = null)
    {
        var cpu = Cpu();
        var stopwatch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            long done = 0, i = 0;
            while (stopwatch.Elapsed < duration) done += await operation(client, i++, CancellationToken.None);
            return done;
        })));
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        if (cpuName is not null) Console.WriteLine($"  ({CpuPer(counts.Sum(), cpu, cpuName)})");
        return counts.Sum() / elapsed;
    }

    private static string Script(string directory, string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text + "\n");
        return path;
    }

    /// <summary>Runs pgbench (prepared statements, no vacuum) and returns its tps.</summary>
    private static async Task<double> PgbenchAsync(PostgresServer server, string bin, int clients, TimeSpan? duration, string script, string database,
        int transactionsPerClient = 0, string? cpuName = null, int messagesPerTransaction = 1)
    {
        var admin = new Npgsql.NpgsqlConnectionStringBuilder(server.AdminConnectionString);
        var info = new ProcessStartInfo(Path.Combine(bin, "pgbench"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-n", "-M", "prepared", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, 4).ToString(CultureInfo.InvariantCulture),
                     "-h", admin.Host!, "-p", admin.Port.ToString(CultureInfo.InvariantCulture), "-U", admin.Username!, "-f", script })
        {
            info.ArgumentList.Add(a);
        }
        if (duration is { } d)
        {
            info.ArgumentList.Add("-T");
            info.ArgumentList.Add(((int)d.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            info.ArgumentList.Add("-t");
            info.ArgumentList.Add(transactionsPerClient.ToString(CultureInfo.InvariantCulture));
        }
        info.ArgumentList.Add(database);
        var cpu = Cpu();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("pgbench did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output + await errors;
        var match = TpsPattern().Match(text);
        if (process.ExitCode != 0 || !match.Success) throw new InvalidOperationException($"pgbench failed ({process.ExitCode}):\n{text}");
        var tps = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var processed = TransactionsPattern().Match(text);
        if (processed.Success) Console.WriteLine("  (" + CpuPer(messagesPerTransaction * double.Parse(processed.Groups[1].Value, CultureInfo.InvariantCulture), cpu, cpuName).Replace("client", "pgbench", StringComparison.Ordinal) + ")");
        return tps;
    }

    [GeneratedRegex(@"number of transactions actually processed: ([0-9]+)")]
    private static partial Regex TransactionsPattern();

    private static async Task<string> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) ?? "";
    }

    private static int _postmasterPid;

    /// <summary>CPU seconds so far: this process (plus its exited children, i.e. pgbench) and the PostgreSQL server
    /// (postmaster, its live children and its exited children: backends of closed connections count too).</summary>
    private static (double Client, double Server) Cpu()
    {
        static (long Own, long Children, int Parent) Read(string statPath)
        {
            var stat = File.ReadAllText(statPath);
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
            return (L(11) + L(12), L(13) + L(14), int.Parse(f[1], CultureInfo.InvariantCulture));
        }
        var self = Read("/proc/self/stat");
        var client = (self.Own + self.Children) / 100.0;
        double server = 0;
        if (_postmasterPid != 0)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                try
                {
                    var p = Read(Path.Combine(dir, "stat"));
                    if (pid == _postmasterPid) server += (p.Own + p.Children) / 100.0;
                    else if (p.Parent == _postmasterPid) server += p.Own / 100.0;
                }
                catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
                {
                    // Gone meanwhile.
                }
            }
        }
        return (client, server);
    }

    private static readonly Dictionary<string, double> CpuPerMessage = [];

    private static string CpuPer(double count, (double Client, double Server) before, string? name = null)
    {
        var after = Cpu();
        var (client, server) = ((after.Client - before.Client) * 1e6 / count, (after.Server - before.Server) * 1e6 / count);
        if (name is not null) CpuPerMessage[name] = client + server;
        return $"CPU per message: client {client:0} us, server {server:0} us";
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();
}
