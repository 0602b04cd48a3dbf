using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LoadGenerator.Mediators;
using LoadGenerator.Postgres;
using LoadGenerator.Probes;
using LoadGenerator.Recording;
using LoadGenerator.Senders;
using LoadGenerator.Wallets;

namespace LoadGenerator;

/// <summary>One run: mediators (started or targeted), wallets, senders, probes, pgbench, and the report.</summary>
public sealed class LoadRun(LoadOptions options, TextWriter output)
{
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private readonly DeliveryLedger _ledger = new();
    private readonly LatencyRecorder _latency = new();
    private readonly Dictionary<string, object?> _report = new(StringComparer.Ordinal);
    private readonly List<string> _failures = [];
    private long _measuredFrom = long.MaxValue;
    private long _foreignRun;
    private int _postgresPid;
    private DurablePostgres? _postgres;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.MaxRun);
        var token = limit.Token;
        DurablePostgres? postgres = null;
        MediatorFleet? fleet = null;
        try
        {
            IReadOnlyList<Uri> replicas;
            IReadOnlyList<int> pids;
            if (options.Mode == LoadMode.PgBench)
            {
                if (options.StartsOwnMediators)
                {
                    Say($"starting durable PostgreSQL ({string.Join(", ", DurablePostgres.Settings.Select(s => $"{s.Key}={s.Value}"))})");
                    postgres = await DurablePostgres.StartAsync(options.PgBin, token).ConfigureAwait(false);
                }
                await RunPgBenchAsync(postgres, options.PayloadBytes, token).ConfigureAwait(false);
                return Finish();
            }
            if (options.StartsOwnMediators)
            {
                string dll;
                if (options.Native)
                {
                    var root = NativeMediatorBuild.FindRepositoryRoot(AppContext.BaseDirectory);
                    Say("publishing Mediator.Api as native AOT (dotnet publish -c Release -r linux-x64)");
                    dll = await NativeMediatorBuild.PublishAsync(root,
                        Path.Combine(root, "Mediator.Api", "bin", "Release", "net10.0", "linux-x64", "publish"), token).ConfigureAwait(false);
                    _report["mediator_build"] = "native";
                }
                else
                {
                    dll = options.MediatorDll ?? FindMediatorDll();
                }
                Say($"starting durable PostgreSQL ({string.Join(", ", DurablePostgres.Settings.Select(s => $"{s.Key}={s.Value}"))})");
                postgres = await DurablePostgres.StartAsync(options.PgBin, token, trackStatements: options.PgStatements > 0).ConfigureAwait(false);
                _postgresPid = postgres.Pid;
                _postgres = postgres;
                await postgres.CreateDatabaseAsync("pickup", token).ConfigureAwait(false);
                Say($"starting {options.Replicas} mediator replicas from {dll}");
                var connectionString = postgres.ConnectionString("pickup");
                if (!string.IsNullOrWhiteSpace(options.ConnectionStringExtra))
                {
                    connectionString = new Npgsql.NpgsqlConnectionStringBuilder(connectionString + ";" + options.ConnectionStringExtra).ConnectionString;
                    Say($"mediator connection string extra: {options.ConnectionStringExtra}");
                    _report["connection_string_extra"] = options.ConnectionStringExtra;
                }
                fleet = await MediatorFleet.StartAsync(dll, options.Replicas, connectionString, options.KeySeed,
                    options.MediatorLogLevel, token, options.MediatorEnvironment).ConfigureAwait(false);
                if (options.MediatorEnvironment.Count > 0)
                {
                    Say($"mediator environment: {string.Join(", ", options.MediatorEnvironment.Select(e => $"{e.Key}={e.Value}"))}");
                    _report["mediator_environment"] = options.MediatorEnvironment;
                }
                replicas = fleet.Endpoints;
                pids = fleet.Pids;
            }
            else
            {
                replicas = options.Targets;
                pids = options.Pids.Count > 0 ? options.Pids : ProcessProbe.FindProcesses("Mediator.Api");
            }
            Say($"replicas: {string.Join(", ", replicas)}; mediator pids: {(pids.Count > 0 ? string.Join(", ", pids) : "none found (no CPU/RSS figures)")}");
            _report["replicas"] = replicas.Select(r => r.ToString()).ToArray();
            _report["mode"] = options.Mode.ToString().ToLowerInvariant();
            _report["wallets"] = options.Wallets;
            _report["concurrency"] = options.Concurrency;
            _report["machine"] = $"{Environment.ProcessorCount} CPUs, {Environment.OSVersion}, .NET {Environment.Version}";

            await using var monitor = new ProcessMonitor(pids, TimeSpan.FromMilliseconds(250));
            using var handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = Math.Max(options.Concurrency, options.SetupConcurrency) + 4,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                UseProxy = false,
            };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };

            var wallets = await SetUpWalletsAsync(replicas, http, token).ConfigureAwait(false);
            try
            {
                int innerBytes = options.Mode switch
                {
                    LoadMode.Live => await RunLiveAsync(wallets, replicas, http, monitor, token).ConfigureAwait(false),
                    LoadMode.Offline => await RunOfflineAsync(wallets, replicas, http, monitor, token).ConfigureAwait(false),
                    _ => await RunIdleAsync(wallets, monitor, token).ConfigureAwait(false),
                };
                var peaks = monitor.PeakRssKilobytes();
                _report["peak_rss_mb_per_replica"] = peaks.ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => Math.Round(p.Value / 1024.0, 1));
                Say($"peak RSS per mediator process: {string.Join(", ", peaks.Select(p => $"pid {p.Key}: {p.Value / 1024.0:0.0} MB"))}");
                foreach (var w in wallets)
                    foreach (var problem in w.Problems.Take(3)) Fail($"wallet {w.Index}: {problem}");
                if (options.Mode != LoadMode.Idle) await RunPgBenchAsync(postgres, innerBytes, token).ConfigureAwait(false);
            }
            finally
            {
                await Task.WhenAll(wallets.Select(w => w.DisposeAsync().AsTask())).ConfigureAwait(false);
            }
            if (fleet is not null)
            {
                if (!fleet.AllRunning) Fail("a mediator replica exited during the run");
                var logged = fleet.Problems(20);
                _report["mediator_warnings"] = logged.ToArray();
                foreach (var line in logged) Say($"mediator log: {line}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Fail($"the run exceeded --max-run {options.MaxRun.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TimeoutException or IOException
            or System.Net.WebSockets.WebSocketException or Npgsql.NpgsqlException or FormatException)
        {
            Fail($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (fleet is not null) await fleet.DisposeAsync().ConfigureAwait(false);
            if (postgres is not null) await postgres.DisposeAsync().ConfigureAwait(false);
        }
        return Finish();
    }

    private int Finish()
    {
        _report["failures"] = _failures.ToArray();
        _report["ok"] = _failures.Count == 0;
        if (options.JsonPath is not null) File.WriteAllText(options.JsonPath, JsonSerializer.Serialize(_report, JsonOptions));
        output.WriteLine(_failures.Count == 0 ? "RESULT: ok" : $"RESULT: FAILED ({_failures.Count}): {string.Join(" | ", _failures)}");
        return _failures.Count == 0 ? 0 : 1;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    // ---------------------------------------------------------------- wallets

    private async Task<List<SimulatedWallet>> SetUpWalletsAsync(IReadOnlyList<Uri> replicas, HttpClient http, CancellationToken token)
    {
        var wallets = Enumerable.Range(0, options.Wallets).Select(i =>
        {
            var replica = replicas[i % replicas.Count];
            var ws = new UriBuilder(replica) { Scheme = replica.Scheme == "https" ? "wss" : "ws" }.Uri;
            return new SimulatedWallet(i, replica, ws, http, OnPayload) { AcknowledgeOverHttp = options.AcknowledgeOverHttp };
        }).ToList();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(wallets, new ParallelOptions { MaxDegreeOfParallelism = options.SetupConcurrency, CancellationToken = token },
            async (w, ct) => await w.SetupAsync(ct).ConfigureAwait(false)).ConfigureAwait(false);
        Say($"{wallets.Count} wallets connected (DID Exchange 1.1), mediation granted, recipient key added in {clock.Elapsed.TotalSeconds:0.0} s " +
            $"({wallets.Count / clock.Elapsed.TotalSeconds:0.0} wallets/s); routing keys as {(wallets[0].RoutingKeysAreDidKeys ? "did:key" : "base58")}, " +
            $"grant endpoint {wallets[0].GrantEndpoint}");
        _report["wallet_setup_per_second"] = Math.Round(wallets.Count / clock.Elapsed.TotalSeconds, 1);
        return wallets;
    }

    private async Task OpenLiveSocketsAsync(List<SimulatedWallet> wallets, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(wallets, new ParallelOptions { MaxDegreeOfParallelism = options.SetupConcurrency, CancellationToken = token },
            async (w, ct) =>
            {
                await w.OpenSocketAsync(ct).ConfigureAwait(false);
                await w.EnableLiveDeliveryAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        Say($"{wallets.Count} live WebSocket sessions (status-request, live-delivery-change true) in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private void OnPayload(SimulatedWallet wallet, string content, long receivedTimestamp)
    {
        if (!WalletMessages.TryParseContent(content, out var run, out var sequence, out var sent) || run != _runId)
        {
            Interlocked.Increment(ref _foreignRun);
            return;
        }
        var first = _ledger.Received(sequence);
        if (first && sequence >= Interlocked.Read(ref _measuredFrom))
            _latency.Record((long)Stopwatch.GetElapsedTime(sent, receivedTimestamp).TotalMicroseconds);
    }

    private static List<ForwardTarget> TargetsOf(List<SimulatedWallet> wallets) =>
        [.. wallets.Select(w => new ForwardTarget(w.Index, w.RecipientKey.Verkey, w.RoutingVerkey!))];

    // ---------------------------------------------------------------- modes

    private async Task<int> RunLiveAsync(List<SimulatedWallet> wallets, IReadOnlyList<Uri> replicas, HttpClient http, ProcessMonitor monitor, CancellationToken token)
    {
        await OpenLiveSocketsAsync(wallets, token).ConfigureAwait(false);
        var sender = new ForwardSender(http, replicas, TargetsOf(wallets), _ledger, _runId, WalletMessages.PaddingFor(options.PayloadBytes));
        var warmup = options.EffectiveWarmup;
        if (warmup > 0)
        {
            var w = await sender.RunAsync(0, warmup, options.Duration, options.Concurrency, token, options.Rate).ConfigureAwait(false);
            await DrainAsync(TimeSpan.FromSeconds(30), token).ConfigureAwait(false);
            Say($"warm-up: {w.Accepted} forwards");
        }
        Interlocked.Exchange(ref _measuredFrom, warmup);
        await ResetStatementsAsync(token).ConfigureAwait(false);
        var others = OtherCpu();
        var before = monitor.Sample();
        var result = await sender.RunAsync(warmup, options.Forwards, options.Duration, options.Concurrency, token, options.Rate).ConfigureAwait(false);
        var afterSend = monitor.Sample();
        var drained = await DrainAsync(options.DrainTimeout, token).ConfigureAwait(false);
        var afterDrain = monitor.Sample();
        ReportSend(result, before, afterSend, afterDrain);
        ReportOtherCpu(others, result.Accepted, "live");
        await ReportStatementsAsync(result.Accepted, token).ConfigureAwait(false);
        Say($"all delivered {drained.TotalMilliseconds:0} ms after the last forward was accepted");
        ReportDeliveries(wallets);
        Say($"forward -> live delivery latency (µs): p50 {_latency.Percentile(50)}  p95 {_latency.Percentile(95)}  p99 {_latency.Percentile(99)}  " +
            $"max {_latency.Max}  mean {_latency.Mean:0}  (n = {_latency.Count})");
        _report["latency_us"] = new Dictionary<string, long>
        {
            ["p50"] = _latency.Percentile(50), ["p95"] = _latency.Percentile(95), ["p99"] = _latency.Percentile(99), ["max"] = _latency.Max, ["count"] = _latency.Count,
        };
        CheckLedger();
        return result.InnerEnvelopeBytes;
    }

    private async Task<int> RunOfflineAsync(List<SimulatedWallet> wallets, IReadOnlyList<Uri> replicas, HttpClient http, ProcessMonitor monitor, CancellationToken token)
    {
        var sender = new ForwardSender(http, replicas, TargetsOf(wallets), _ledger, _runId, WalletMessages.PaddingFor(options.PayloadBytes));
        Interlocked.Exchange(ref _measuredFrom, long.MaxValue); // latency means nothing offline
        var total = (long)options.PerWallet * wallets.Count;
        await ResetStatementsAsync(token).ConfigureAwait(false);
        var others = OtherCpu();
        var before = monitor.Sample();
        var result = await sender.RunAsync(0, total, options.Duration, options.Concurrency, token, options.Rate).ConfigureAwait(false);
        var afterSend = monitor.Sample();
        ReportSend(result, before, afterSend, null);
        ReportOtherCpu(others, result.Accepted, "send");
        await ReportStatementsAsync(result.Accepted, token).ConfigureAwait(false);
        await ResetStatementsAsync(token).ConfigureAwait(false);
        others = OtherCpu();

        if (_ledger.UniqueReceived > 0) Fail($"{_ledger.UniqueReceived} messages were delivered while every wallet was offline");
        var clock = Stopwatch.StartNew();
        var rounds = 0L;
        await Parallel.ForEachAsync(wallets, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(wallets.Count, 64), CancellationToken = token },
            async (w, ct) =>
            {
                await w.OpenSocketAsync(ct).ConfigureAwait(false);
                var r = await w.PickUpAllAsync(options.Batch, TimeSpan.FromSeconds(30), (int)(options.PerWallet / options.Batch + 10) * 2, ct).ConfigureAwait(false);
                Interlocked.Add(ref rounds, r);
            }).ConfigureAwait(false);
        clock.Stop();
        var afterPickup = monitor.Sample();
        var picked = _ledger.UniqueReceived;
        ReportDeliveries(wallets);
        var pickupCpu = ProcessMonitor.CpuBetween(afterSend, afterPickup);
        Say($"offline pickup: {picked} messages in {clock.Elapsed.TotalSeconds:0.00} s = {picked / clock.Elapsed.TotalSeconds:0} msg/s " +
            $"({rounds} delivery-requests, batch {options.Batch}); mediator CPU {pickupCpu:0} ms = {(picked > 0 ? pickupCpu / picked : 0):0.000} ms/message");
        _report["offline_pickup_per_second"] = Math.Round(picked / clock.Elapsed.TotalSeconds, 1);
        _report["offline_pickup_cpu_ms_per_message"] = picked > 0 ? Math.Round(pickupCpu / picked, 4) : null;
        ReportOtherCpu(others, picked, "pickup");
        await ReportStatementsAsync(picked, token).ConfigureAwait(false);
        CheckLedger();
        return result.InnerEnvelopeBytes;
    }

    private async Task<int> RunIdleAsync(List<SimulatedWallet> wallets, ProcessMonitor monitor, CancellationToken token)
    {
        var before = monitor.Sample();
        await OpenLiveSocketsAsync(wallets, token).ConfigureAwait(false);
        Say($"holding {wallets.Count} idle live sockets for {options.Hold.TotalSeconds:0} s");
        await Task.Delay(options.Hold, token).ConfigureAwait(false);
        var after = monitor.Sample();
        var open = wallets.Count(w => w.SocketOpen);
        if (open != wallets.Count) Fail($"{wallets.Count - open} of {wallets.Count} sockets closed while idle");
        var rows = new Dictionary<string, object>();
        foreach (var (pid, sample) in after)
        {
            var start = before.TryGetValue(pid, out var b) ? b.RssKilobytes : 0;
            Say($"pid {pid}: RSS {start / 1024.0:0.0} MB before the sockets, {sample.RssKilobytes / 1024.0:0.0} MB with them");
            rows[pid.ToString(CultureInfo.InvariantCulture)] = new { before_mb = Math.Round(start / 1024.0, 1), with_sockets_mb = Math.Round(sample.RssKilobytes / 1024.0, 1) };
        }
        _report["idle_rss"] = rows;
        _report["idle_sockets_open"] = open;
        return 0;
    }

    // ---------------------------------------------------------------- figures

    private void ReportSend(SendResult result, IReadOnlyDictionary<int, ProcessSample> before, IReadOnlyDictionary<int, ProcessSample> afterSend,
        IReadOnlyDictionary<int, ProcessSample>? afterDrain)
    {
        Say($"forwards: {result.Accepted} accepted of {result.Attempted} in {result.Elapsed.TotalSeconds:0.00} s = {result.AcceptedPerSecond:0} forwards/s " +
            $"(C = {options.Concurrency}, stored envelope {result.InnerEnvelopeBytes} bytes, {result.CrossReplica} sent to another replica than the wallet's socket)");
        _report["forwards_cross_replica"] = result.CrossReplica;
        _report["forwards_accepted"] = result.Accepted;
        _report["forwards_failed"] = result.Failed;
        _report["forwards_per_second"] = Math.Round(result.AcceptedPerSecond, 1);
        _report["inner_envelope_bytes"] = result.InnerEnvelopeBytes;
        if (options.Rate is { } rate)
        {
            Say($"fixed rate {rate:0.#} forwards/s: {result.LateSends} of {result.Attempted} sends started more than 1 ms late " +
                $"(max {result.MaxLateness.TotalMilliseconds:0.0} ms behind schedule)");
            _report["target_rate"] = rate;
            _report["late_sends"] = result.LateSends;
            _report["max_lateness_ms"] = Math.Round(result.MaxLateness.TotalMilliseconds, 1);
        }
        if (result.Failed > 0) Fail($"{result.Failed} forwards not accepted, e.g. {string.Join(" / ", result.FailureSamples.Take(3))}");
        if (before.Count == 0 || result.Accepted == 0) return;
        var sendCpu = ProcessMonitor.CpuBetween(before, afterSend);
        var line = $"mediator CPU while sending: {sendCpu:0} ms = {sendCpu / result.Accepted:0.000} ms/forward";
        _report["cpu_ms_per_forward_send_phase"] = Math.Round(sendCpu / result.Accepted, 4);
        if (afterDrain is not null)
        {
            var totalCpu = ProcessMonitor.CpuBetween(before, afterDrain);
            line += $"; including delivery and acknowledgement: {totalCpu:0} ms = {totalCpu / result.Accepted:0.000} ms/message";
            _report["cpu_ms_per_message"] = Math.Round(totalCpu / result.Accepted, 4);
        }
        Say(line);
    }

    /// <summary>CPU ms of PostgreSQL (postmaster and backends, when started here) and of this generator, now.</summary>
    private (double Postgres, double Generator) OtherCpu() =>
        (_postgresPid > 0 ? ProcessProbe.TreeCpuMilliseconds(_postgresPid) : 0, ProcessProbe.TrySample(Environment.ProcessId)?.CpuMilliseconds ?? 0);

    private void ReportOtherCpu((double Postgres, double Generator) before, long messages, string phase)
    {
        if (messages <= 0) return;
        var (postgres, generator) = OtherCpu();
        var pg = postgres - before.Postgres;
        var gen = generator - before.Generator;
        Say($"other CPU ({phase}): PostgreSQL {(_postgresPid > 0 ? $"{pg:0} ms = {pg / messages:0.000} ms/message" : "not measured (not started here)")}, " +
            $"this generator (wallets + senders + crypto) {gen:0} ms = {gen / messages:0.000} ms/message");
        _report[$"postgres_cpu_ms_per_message_{phase}"] = _postgresPid > 0 ? Math.Round(pg / messages, 4) : null;
        _report[$"generator_cpu_ms_per_message_{phase}"] = Math.Round(gen / messages, 4);
    }

    private void ReportDeliveries(List<SimulatedWallet> wallets)
    {
        var deliveries = wallets.Sum(w => w.DeliveryMessages);
        var attachments = wallets.Sum(w => w.DeliveredAttachments);
        Say($"pickup 2.0 delivery messages: {deliveries} carrying {attachments} messages ({(deliveries > 0 ? (double)attachments / deliveries : 0):0.00} per delivery, warm-up included)");
        _report["messages_per_delivery"] = deliveries > 0 ? Math.Round((double)attachments / deliveries, 2) : null;
    }

    private async Task ResetStatementsAsync(CancellationToken token)
    {
        if (options.PgStatements > 0 && _postgres is not null) await _postgres.ResetStatementsAsync("pickup", token).ConfigureAwait(false);
    }

    private async Task ReportStatementsAsync(long messages, CancellationToken token)
    {
        if (options.PgStatements <= 0 || _postgres is null || messages <= 0) return;
        var (calls, totalMs, top) = await _postgres.ReadStatementsAsync("pickup", options.PgStatements, token).ConfigureAwait(false);
        Say($"pg_stat_statements: {calls} statements = {(double)calls / messages:0.0} per message, {totalMs:0} ms executing = {totalMs / messages:0.000} ms/message; top by time:");
        foreach (var line in top) output.WriteLine("    " + line);
    }

    private async Task<TimeSpan> DrainAsync(TimeSpan timeout, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        while (!_ledger.AllAcceptedReceived && clock.Elapsed < timeout)
            await Task.Delay(20, token).ConfigureAwait(false);
        // A short settle for late duplicates.
        await Task.Delay(TimeSpan.FromMilliseconds(500), token).ConfigureAwait(false);
        return clock.Elapsed - TimeSpan.FromMilliseconds(500);
    }

    private void CheckLedger()
    {
        var missing = _ledger.Missing;
        var duplicates = _ledger.Duplicates;
        var unexpected = _ledger.Unexpected;
        Say($"messages: {_ledger.AcceptedCount} accepted, {_ledger.UniqueReceived} delivered, lost {missing}, duplicated {duplicates}, " +
            $"delivered without an accepted forward {unexpected}, other runs' {Interlocked.Read(ref _foreignRun)}");
        _report["lost"] = missing;
        _report["duplicated"] = duplicates;
        _report["unexpected"] = unexpected;
        if (missing > 0) Fail($"{missing} messages lost (accepted, never delivered), e.g. sequence {string.Join(", ", _ledger.MissingSample(5))}");
        if (duplicates > 0) Fail($"{duplicates} duplicated deliveries");
    }

    private async Task RunPgBenchAsync(DurablePostgres? postgres, int payloadBytes, CancellationToken token)
    {
        if (options.PgBenchSeconds == 0) return;
        string bin, host, user, database;
        int port;
        if (postgres is not null)
        {
            await postgres.CreateDatabaseAsync("pgbench", token).ConfigureAwait(false);
            (bin, host, port, user, database) = (postgres.BinDirectory, postgres.Host, postgres.Port, postgres.User, "pgbench");
        }
        else if (options.PgHost is not null && options.PgPort > 0)
        {
            (bin, host, port, user, database) = (options.PgBin ?? DurablePostgres.FindBinaries(), options.PgHost, options.PgPort, options.PgUser, options.PgDatabase);
        }
        else
        {
            Say("pgbench skipped: targeting running mediators without --pg-host/--pg-port");
            return;
        }
        var payload = Math.Max(1, payloadBytes);
        Say($"pgbench: durable single-row INSERT of {payload} bytes, {options.Concurrency} clients, {options.PgBenchSeconds} s, synchronous_commit=on ...");
        var result = await PgBenchRunner.RunAsync(bin, host, port, user, database, options.Concurrency, options.PgBenchSeconds, payload,
            Math.Max(1, options.Wallets), token).ConfigureAwait(false);
        Say($"pgbench: {result.TransactionsPerSecond:0} INSERT/s (latency average {result.LatencyAverageMs:0.00} ms)");
        _report["pgbench_inserts_per_second"] = Math.Round(result.TransactionsPerSecond, 1);
        if (_report.TryGetValue("forwards_per_second", out var f) && f is double forwards && result.TransactionsPerSecond > 0)
        {
            var ratio = forwards / result.TransactionsPerSecond;
            Say($"RATIO forwards/s : pgbench INSERT/s = {ratio:0.00}x");
            _report["ratio_to_pgbench"] = Math.Round(ratio, 3);
        }
    }

    // ---------------------------------------------------------------- helpers

    internal static string FindMediatorDll()
    {
        var root = NativeMediatorBuild.FindRepositoryRoot(AppContext.BaseDirectory);
        var candidates = new[] { "Release", "Debug" }
            .Select(c => new FileInfo(Path.Combine(root, "Mediator.Api", "bin", c, "net10.0", "Mediator.Api.dll")))
            .Where(f => f.Exists)
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .ToList();
        return candidates.Count > 0 ? candidates[0].FullName
            : throw new InvalidOperationException($"No Mediator.Api.dll under {root}/Mediator.Api/bin: build it (dotnet build -c Release Mediator.Api) or pass --mediator-dll.");
    }

    private void Say(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");

    private void Fail(string reason)
    {
        _failures.Add(reason);
        Say($"FAIL: {reason}");
    }
}
