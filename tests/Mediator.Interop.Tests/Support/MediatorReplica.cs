using System.Net;
using System.Net.Sockets;

namespace Mediator.Interop.Tests.Support;

/// <summary>
/// One mediator replica as its own OS process: <c>dotnet Mediator.Api.dll --urls http://127.0.0.1:port</c>, started
/// under a small bash wrapper that terminates the mediator when the wrapper's stdin closes, so a test host that dies
/// (its end of the pipe closes) takes its mediators with it. Ready when <c>GET /health</c> answers 200.
/// </summary>
public sealed class MediatorReplica : IAsyncDisposable
{
    /// <summary>Runs "$@" (the mediator) with stdin from /dev/null; SIGTERMs it on end of the wrapper's own stdin.</summary>
    private const string Wrapper = """
        exec 3<&0
        "$@" </dev/null 3<&- &
        mediator=$!
        echo "wrapper: mediator pid $mediator" >&2
        ( read -r _ <&3; kill -TERM "$mediator" 2>/dev/null ) &
        watcher=$!
        exec 3<&-
        wait "$mediator"; code=$?
        kill "$watcher" 2>/dev/null
        exit "$code"
        """;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly ChildProcess _process;

    private MediatorReplica(string name, int port, ChildProcess process)
    {
        Name = name;
        Port = port;
        _process = process;
    }

    public string Name { get; }
    public int Port { get; }
    public string HttpEndpoint => $"http://127.0.0.1:{Port}";
    public string WebSocketEndpoint => $"ws://127.0.0.1:{Port}";
    public LogBuffer Log => _process.Log;
    public bool HasExited => _process.HasExited;

    /// <summary>The wrapper's process id and those of its descendants (the mediator), as seen now.</summary>
    public IReadOnlyList<int> ProcessIds() => [_process.Id, .. _process.RecordDescendants()];

    /// <summary>The mediator's out-of-band invitation URL (<c>GET /invitation?format=url</c>), read once at start.</summary>
    public string InvitationUrl { get; private set; } = "";

    /// <summary>Settings every replica of one test mediator gets (besides its own port and endpoints).</summary>
    public static Dictionary<string, string?> SharedEnvironment(string connectionString, string keySeed) => new()
    {
        ["ConnectionStrings__pickup"] = connectionString,
        ["Mediator__KeySeed"] = keySeed,
        // Short leases and quick maintenance: an unacknowledged live delivery comes back within seconds. The lease
        // stays well above Credo's acknowledgement delay under load (a redelivery before the ack is a duplicate to
        // the scenario), and the instance timeout generous: on a loaded machine a late heartbeat must not get a
        // healthy replica reaped mid-scenario.
        ["Pickup__LeaseDuration"] = "00:00:15",
        ["Pickup__HeartbeatInterval"] = "00:00:02",
        ["Pickup__InstanceTimeout"] = "00:00:20",
        ["Pickup__MaintenanceInterval"] = "00:00:01",
        ["Pickup__SweepInterval"] = "00:00:02",
        // One line per log entry with a timestamp; request lines show which replica took which request.
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__LogLevel__Default"] = "Information",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        // Each delivery (live / delivery-request) and each acknowledgement with its count: the evidence for loss and
        // duplicate findings.
        ["Logging__LogLevel__Mediator.Api.MessagePickup"] = "Debug",
        // Npgsql logs every command at Information: too much for a 400-message scenario (set it back for an investigation).
        ["Logging__LogLevel__Npgsql"] = Environment.GetEnvironmentVariable("PICKUP_INTEROP_NPGSQL_LOGLEVEL") ?? "Warning",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        // Nothing inherited from the test host's environment may redirect the replica.
        ["ASPNETCORE_URLS"] = null,
        ["ASPNETCORE_HTTP_PORTS"] = null,
        ["ASPNETCORE_HTTPS_PORTS"] = null,
        ["DOTNET_ENVIRONMENT"] = null,
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
        ["PICKUP_TEST_POSTGRES"] = null,
    };

    /// <summary>Starts a replica on a free loopback port and waits until it is healthy and serves its invitation.</summary>
    public static async Task<MediatorReplica> StartAsync(string name, IReadOnlyDictionary<string, string?> sharedEnvironment,
        string logDirectory, CancellationToken cancellationToken)
    {
        var assembly = BuildPaths.MediatorApiAssembly;
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var environment = new Dictionary<string, string?>(sharedEnvironment)
            {
                ["Mediator__PublicEndpoint"] = $"http://127.0.0.1:{port}",
                ["Mediator__PublicWebSocketEndpoint"] = $"ws://127.0.0.1:{port}",
            };
            var log = new LogBuffer(Path.Combine(logDirectory, $"mediator-{name}-{port}.log"));
            // A .dll runs on the shared runtime; anything else is the native AOT executable (PICKUP_MEDIATOR_DLL).
            string[] command = assembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? [DotnetHost(), assembly] : [assembly];
            log.Add("test", $"starting {string.Join(' ', command)} --urls http://127.0.0.1:{port}");
            var process = ChildProcess.Start($"mediator {name}", "bash",
                ["-c", Wrapper, "mediator-wrapper", .. command, "--urls", $"http://127.0.0.1:{port}"],
                Path.GetDirectoryName(assembly)!, environment, log);
            var replica = new MediatorReplica(name, port, process);
            try
            {
                await replica.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
                process.RecordDescendants();
                return replica;
            }
            catch (Exception) when (attempt < 3 && process.HasExited
                                    && log.Since(0).Any(l => l.Contains("address already in use", StringComparison.OrdinalIgnoreCase)))
            {
                // The free port was taken by someone else between choosing and binding it: try another.
                await replica.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await replica.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        string? lastProblem = null;
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.Exited.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"Mediator replica {Name} exited with code {_process.ExitCode} before it was healthy.{Environment.NewLine}{LogTail(60)}");
            }
            try
            {
                using var health = await http.GetAsync($"{HttpEndpoint}/health", timeout.Token).ConfigureAwait(false);
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    using var invitation = await http.GetAsync($"{HttpEndpoint}/invitation?format=url", timeout.Token).ConfigureAwait(false);
                    var body = await invitation.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                    if (invitation.StatusCode != HttpStatusCode.OK || !body.Contains("oob=", StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException(
                            $"Mediator replica {Name} is healthy but GET /invitation?format=url answered {(int)invitation.StatusCode}: " +
                            $"'{Truncate(body, 500)}'.{Environment.NewLine}{LogTail(40)}");
                    }
                    InvitationUrl = body.Trim();
                    Log.Add("test", $"ready; invitation {InvitationUrl}");
                    return;
                }
                lastProblem = $"/health answered {(int)health.StatusCode}";
            }
            catch (HttpRequestException error)
            {
                lastProblem = error.Message;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Mediator replica {Name} was not healthy within {StartTimeout.TotalSeconds:F0} s ({lastProblem}).{Environment.NewLine}{LogTail(60)}");
            }
            catch (TaskCanceledException) when (!timeout.IsCancellationRequested)
            {
                lastProblem = "a /health request timed out";
            }
            // Not listening yet: poll again shortly (there is no readiness event to await across processes).
            try
            {
                await Task.Delay(200, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Mediator replica {Name} was not healthy within {StartTimeout.TotalSeconds:F0} s ({lastProblem}).{Environment.NewLine}{LogTail(60)}");
            }
        }
    }

    /// <summary>The last <paramref name="count"/> log lines (since <paramref name="sinceMark"/>), as one block.</summary>
    /// <remarks>Request start/finish lines are left out (they are in the full log file).</remarks>
    public string LogTail(int count, int sinceMark = 0)
    {
        var lines = Log.Since(sinceMark).Where(l => !l.Contains("Microsoft.AspNetCore.Hosting.Diagnostics", StringComparison.Ordinal)).ToList();
        return $"--- mediator {Name} (port {Port}), last {count} log lines without request lines{(Log.FilePath is { } f ? $", full log: {f}" : "")} ---"
               + Environment.NewLine + string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Count - count)).Select(l => LogBuffer.Cut(l, 800)));
    }

    /// <summary>Log lines since the mark at warning level or worse (simple console format: "warn:", "fail:", "crit:").</summary>
    public IReadOnlyList<string> ProblemsSince(int mark) =>
        Log.Since(mark).Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal)
                                   || l.Contains(" crit: ", StringComparison.Ordinal) || l.Contains("Unhandled exception", StringComparison.Ordinal)).ToList();

    /// <summary>Requests this replica finished since the mark with the given method (from the hosting diagnostics log).</summary>
    public int RequestsSince(int mark, string method) =>
        Log.Since(mark).Count(l => l.Contains($"Request finished HTTP/1.1 {method} ", StringComparison.Ordinal));

    /// <summary>Mediator connection ids granted mediation since the mark to agents with this label (credo-recipient, credo-sender).</summary>
    public IReadOnlyList<string> MediationGrantsSince(int mark, string label) =>
        Log.Since(mark).Select(l => GrantLine.Match(l)).Where(m => m.Success && m.Groups[2].Value == label).Select(m => m.Groups[1].Value).ToList();

    /// <summary>The pickup 2.0 acknowledgements (messages-received) of one connection since the mark, from the debug log.</summary>
    public AcknowledgementLog AcknowledgementsSince(int mark, string connectionId)
    {
        var lines = Log.Since(mark);
        var acks = new List<(int Line, int Removed, int Listed)>();
        int? sessionLost = null;
        var delivered = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            if (AckLine.Match(lines[i]) is { Success: true } ack && ack.Groups[1].Value == connectionId)
                acks.Add((i, int.Parse(ack.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
                    int.Parse(ack.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)));
            else if (DeliveredLine.Match(lines[i]) is { Success: true } delivery && delivery.Groups[2].Value == connectionId)
                delivered += int.Parse(delivery.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            else if (sessionLost is null && lines[i].Contains($"Live delivery off for connection {connectionId}", StringComparison.Ordinal))
                sessionLost = i;
        }
        return new AcknowledgementLog(acks.Count, acks.Sum(a => a.Listed), acks.Sum(a => a.Removed), delivered,
            acks.Where(a => a.Removed < a.Listed).Select(a => lines[a.Line]).ToList(),
            acks.Where(a => a.Removed < a.Listed && (sessionLost is null || a.Line < sessionLost)).Select(a => lines[a.Line]).ToList());
    }

    private static readonly System.Text.RegularExpressions.Regex GrantLine =
        new(@"Mediation granted to connection (\S+) \((.*)\)$", System.Text.RegularExpressions.RegexOptions.Compiled);
    private static readonly System.Text.RegularExpressions.Regex AckLine =
        new(@"Connection (\S+) acknowledged (\d+) messages \((\d+) ids listed\)", System.Text.RegularExpressions.RegexOptions.Compiled);
    private static readonly System.Text.RegularExpressions.Regex DeliveredLine =
        new(@"Delivered (\d+) messages to connection (\S+) \(", System.Text.RegularExpressions.RegexOptions.Compiled);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Log.Dispose();
        }
    }

    /// <summary>The dotnet host that runs this test (so the mediator runs on the same runtime), else dotnet from PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}

/// <summary>
/// A connection's acknowledgements as the mediator logged them: how many ids the wallet listed and how many of them
/// were still queued (removed); the partial ones (an id no longer queued: acknowledged a second time), and those of
/// them logged before the wallet's live session was first lost (which no socket loss can explain).
/// </summary>
public sealed record AcknowledgementLog(int Acknowledgements, int Listed, int Removed, int Delivered,
    IReadOnlyList<string> PartialLines, IReadOnlyList<string> PartialBeforeSessionLoss)
{
    /// <summary>Listed ids that were no longer queued.</summary>
    public int NotFound => Listed - Removed;
}
