using PickupAspire.TestSupport;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Mediator.Interop.Tests.Support;

/// <summary>What one run of <c>tests/interop/credo/scenario.mjs</c> is asked to do.</summary>
public sealed record ScenarioOptions(string MediatorInvitationUrl)
{
    /// <summary><c>live</c> (pickup 2.0 live mode over WebSocket) or <c>poll</c> (pickup 2.0 status/delivery requests).</summary>
    public string Pickup { get; init; } = "live";

    /// <summary>Messages the sender sends per phase.</summary>
    public int Count { get; init; } = 200;

    /// <summary><c>live</c>, <c>offline</c>, <c>drop</c>, in order.</summary>
    public IReadOnlyList<string> Phases { get; init; } = ["live", "offline"];

    /// <summary>The mediator the sender uses (default: the recipient's).</summary>
    public string? SenderMediatorInvitationUrl { get; init; }

    /// <summary>The endpoint put into the recipient's invitation instead of the granted one (where forwards go).</summary>
    public string? InvitationEndpoint { get; init; }

    /// <summary>Timeout of each wait inside the scenario (its <c>--timeout-ms</c>).</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>The whole run; the scenario's process tree is killed after it.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>Every DIDComm message of the three agents as trace events (large; for investigations).</summary>
    public bool Trace { get; init; } = Environment.GetEnvironmentVariable("PICKUP_INTEROP_TRACE") == "1";

    public IReadOnlyList<string> Arguments()
    {
        var arguments = new List<string>
        {
            "--mediator-invitation-url", MediatorInvitationUrl,
            "--pickup", Pickup,
            "--count", Count.ToString(CultureInfo.InvariantCulture),
            "--phases", string.Join(',', Phases),
            "--timeout-ms", ((int)StepTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "--verbose",
        };
        if (SenderMediatorInvitationUrl is not null) arguments.AddRange(["--sender-mediator-invitation-url", SenderMediatorInvitationUrl]);
        if (InvitationEndpoint is not null) arguments.AddRange(["--invitation-endpoint", InvitationEndpoint]);
        if (Trace) arguments.Add("--trace");
        return arguments;
    }
}

/// <summary>The JSON lines and outcome of one scenario run.</summary>
public sealed class ScenarioRun
{
    public required string CommandLine { get; init; }
    public required IReadOnlyList<JsonElement> Events { get; init; }
    public required IReadOnlyList<string> NonJsonLines { get; init; }
    public required int? ExitCode { get; init; }
    public required bool TimedOut { get; init; }
    public required TimeSpan Duration { get; init; }
    public required LogBuffer Log { get; init; }

    public IReadOnlyList<JsonElement> Phases => OfType("phase");
    public JsonElement? Summary => OfType("summary") is [.., var last] ? last : null;
    public IReadOnlyList<JsonElement> Errors => OfType("error");

    public IReadOnlyList<JsonElement> OfType(string eventName) =>
        Events.Where(e => e.TryGetProperty("event", out var name) && name.GetString() == eventName).ToList();
}

/// <summary>
/// Runs the Credo-ts 0.5.17 harness (tests/interop/credo) with Node: installs its packages from the lockfile once per
/// checkout (<c>ci.sh install</c>), then runs <c>scenario.mjs</c> and collects its JSON lines.
/// </summary>
public static class CredoHarness
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _installed;

    /// <summary>Fails clearly when Node 20+ is missing; runs <c>npm ci</c> (via ci.sh) when node_modules is missing.</summary>
    public static async Task EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        if (_installed) return;
        await InstallLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_installed) return;
            var directory = BuildPaths.CredoHarnessDirectory;
            var version = await RunToEndAsync("node", ["--version"], directory, TimeSpan.FromSeconds(30), cancellationToken,
                missing: "Node.js is not installed (no 'node' on PATH): the Credo interop tests need Node 20 or later (.ci/run installs it).")
                .ConfigureAwait(false);
            var text = version.Output.Trim().TrimStart('v');
            if (!int.TryParse(text.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) || major < 20)
                throw new InvalidOperationException($"The Credo interop tests need Node 20 or later; 'node --version' says '{version.Output.Trim()}'.");
            if (!File.Exists(Path.Combine(directory, "node_modules", "@credo-ts", "core", "package.json")))
            {
                // Mediator.Api.Tests installs the same folder, maybe at the same time in another test process.
                await using var fileLock = await AcquireInstallLockAsync(directory, cancellationToken).ConfigureAwait(false);
                if (File.Exists(Path.Combine(directory, "node_modules", "@credo-ts", "core", "package.json")))
                {
                    _installed = true;
                    return;
                }
                var install = await RunToEndAsync("bash", [Path.Combine(directory, "ci.sh"), "install"], directory,
                    TimeSpan.FromMinutes(5), cancellationToken, missing: "bash is not installed.").ConfigureAwait(false);
                if (install.ExitCode != 0 || !File.Exists(Path.Combine(directory, "node_modules", "@credo-ts", "core", "package.json")))
                {
                    throw new InvalidOperationException(
                        $"Installing the Credo harness (bash {directory}/ci.sh install: npm ci from the lockfile) failed with exit code " +
                        $"{install.ExitCode}:{Environment.NewLine}{install.Output}");
                }
            }
            _installed = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    public static async Task<ScenarioRun> RunScenarioAsync(ScenarioOptions options, string logDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await EnsureInstalledAsync(cancellationToken).ConfigureAwait(false);
        var directory = BuildPaths.CredoHarnessDirectory;
        var arguments = new List<string> { Path.Combine(directory, "scenario.mjs") };
        arguments.AddRange(options.Arguments());
        var events = new List<JsonElement>();
        var nonJson = new List<string>();
        var gate = new Lock();
        var log = new LogBuffer(Path.Combine(logDirectory, $"scenario-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid():N}"[..32] + ".log"));
        var stopwatch = Stopwatch.StartNew();
        var child = ChildProcess.Start("scenario.mjs", "node", arguments, directory, new Dictionary<string, string?>(), log, line =>
        {
            lock (gate)
            {
                try
                {
                    using var document = JsonDocument.Parse(line);
                    events.Add(document.RootElement.Clone());
                }
                catch (JsonException)
                {
                    nonJson.Add(line);
                }
            }
        });
        var timedOut = false;
        int? exitCode;
        await using (child.ConfigureAwait(false))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Timeout);
            try
            {
                await child.Exited.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
                log.Add("test", $"scenario did not finish within {options.Timeout.TotalSeconds:F0} s: stopping it");
            }
            await child.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            exitCode = child.ExitCode;
        }
        lock (gate)
        {
            return new ScenarioRun
            {
                CommandLine = "node " + string.Join(' ', arguments),
                Events = [.. events],
                NonJsonLines = [.. nonJson],
                ExitCode = timedOut ? null : exitCode,
                TimedOut = timedOut,
                Duration = stopwatch.Elapsed,
                Log = log,
            };
        }
    }

    /// <summary>The cross-process lock around <c>npm ci</c> in the harness folder (the one every Node-driving test
    /// project takes), given up after 5 minutes.</summary>
    private static async Task<FileStream> AcquireInstallLockAsync(string directory, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        return await NodeTool.AcquireInstallLockAsync(directory, timeout.Token).ConfigureAwait(false);
    }

    private sealed record Finished(int ExitCode, string Output);

    private static async Task<Finished> RunToEndAsync(string fileName, IEnumerable<string> arguments, string directory,
        TimeSpan timeout, CancellationToken cancellationToken, string missing)
    {
        using var log = new LogBuffer(null);
        ChildProcess child;
        try
        {
            child = ChildProcess.Start(fileName, fileName, arguments, directory, new Dictionary<string, string?>(), log);
        }
        catch (InvalidOperationException error)
        {
            throw new InvalidOperationException($"{missing} ({error.Message})", error);
        }
        await using (child.ConfigureAwait(false))
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            try
            {
                await child.Exited.WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"'{fileName} {string.Join(' ', arguments)}' did not finish within {timeout.TotalSeconds:F0} s:"
                                           + Environment.NewLine + string.Join(Environment.NewLine, log.Tail(40)));
            }
            var output = string.Join(Environment.NewLine, log.Since(0).Select(l => l[(l.IndexOf(']', StringComparison.Ordinal) + 2)..]));
            return new Finished(child.ExitCode ?? -1, output);
        }
    }
}
