using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LoadGenerator.Mediators;

/// <summary>
/// N mediator replicas started as <c>dotnet Mediator.Api.dll --urls http://127.0.0.1:&lt;port&gt;</c>, sharing one
/// database and one key seed (so they are one mediator), each advertising its own loopback endpoints.
/// </summary>
public sealed class MediatorFleet : IAsyncDisposable
{
    private readonly List<(Process Process, ConcurrentQueue<string> Log)> _replicas = [];

    private MediatorFleet()
    {
    }

    public IReadOnlyList<Uri> Endpoints { get; private set; } = [];
    public IReadOnlyList<int> Pids => [.. _replicas.Select(r => r.Process.Id)];

    public static async Task<MediatorFleet> StartAsync(string mediatorDll, int replicas, string connectionString, string keySeed,
        string logLevel, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        mediatorDll = Path.GetFullPath(mediatorDll); // the replicas run in its directory
        if (!File.Exists(mediatorDll)) throw new FileNotFoundException($"Mediator.Api.dll not found at {mediatorDll}; build Mediator.Api or pass --mediator-dll.", mediatorDll);
        var fleet = new MediatorFleet();
        var endpoints = new List<Uri>();
        try
        {
            for (var i = 0; i < replicas; i++)
            {
                var port = FreePort();
                var http = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
                // A .dll runs on the shared runtime (dotnet Mediator.Api.dll); anything else is an executable of its
                // own, e.g. the native AOT build (dotnet publish Mediator.Api -p:PublishAot=true).
                var framework = mediatorDll.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
                var info = new ProcessStartInfo(framework ? "dotnet" : mediatorDll)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                    WorkingDirectory = Path.GetDirectoryName(mediatorDll)!,
                };
                if (framework) info.ArgumentList.Add(mediatorDll);
                info.ArgumentList.Add("--urls");
                info.ArgumentList.Add(http);
                info.Environment["ConnectionStrings__pickup"] = connectionString;
                info.Environment["Mediator__PublicEndpoint"] = http;
                info.Environment["Mediator__PublicWebSocketEndpoint"] = $"ws://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
                info.Environment["Mediator__KeySeed"] = keySeed;
                info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
                info.Environment["Logging__LogLevel__Default"] = logLevel;
                info.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
                info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
                foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
                var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dotnet.");
                var log = new ConcurrentQueue<string>();
                void Keep(object _, DataReceivedEventArgs e)
                {
                    if (e.Data is null) return;
                    log.Enqueue(e.Data);
                    while (log.Count > 200) log.TryDequeue(out var _);
                }
                process.OutputDataReceived += Keep;
                process.ErrorDataReceived += Keep;
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                fleet._replicas.Add((process, log));
                endpoints.Add(new Uri(http + "/"));
            }
            fleet.Endpoints = endpoints;
            await WaitUntilReadyAsync(fleet, TimeSpan.FromSeconds(90), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await fleet.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return fleet;
    }

    /// <summary>Every replica answers <c>GET /invitation</c> with 200.</summary>
    private static async Task WaitUntilReadyAsync(MediatorFleet fleet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < fleet.Endpoints.Count; i++)
        {
            while (true)
            {
                var (process, _) = fleet._replicas[i];
                if (process.HasExited) throw new InvalidOperationException($"Mediator replica {i} exited ({process.ExitCode}) at start:\n{fleet.LogOf(i)}");
                if (clock.Elapsed > timeout) throw new TimeoutException($"Mediator replica {i} did not answer GET /invitation within {timeout}:\n{fleet.LogOf(i)}");
                try
                {
                    using var response = await http.GetAsync(new Uri(fleet.Endpoints[i], "invitation"), cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.OK) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                }
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public string LogOf(int replica) => string.Join('\n', _replicas[replica].Log);

    /// <summary>Log lines of every replica at warning level or above (Microsoft console format: "warn:", "fail:", "crit:").</summary>
    public IReadOnlyList<string> Problems(int max)
    {
        var lines = new List<string>();
        for (var i = 0; i < _replicas.Count; i++)
        {
            var log = _replicas[i].Log.ToArray();
            for (var j = 0; j < log.Length && lines.Count < max; j++)
            {
                if (log[j].StartsWith("fail:", StringComparison.Ordinal) || log[j].StartsWith("crit:", StringComparison.Ordinal)
                    || log[j].StartsWith("warn:", StringComparison.Ordinal))
                {
                    var detail = j + 1 < log.Length ? " " + log[j + 1].Trim() : "";
                    lines.Add($"replica {i}: {log[j]}{detail}");
                }
            }
        }
        return lines;
    }

    public bool AllRunning => _replicas.All(r => !r.Process.HasExited);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, _) in _replicas)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
            }
            process.Dispose();
        }
        _replicas.Clear();
    }
}
