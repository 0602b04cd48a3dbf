using System.Diagnostics;
using System.Text.Json.Nodes;
using LoadGenerator.Mediators;

namespace LoadGenerator.Tests;

/// <summary>
/// Mediator.Api published as native AOT, the way a replica is deployed (README): <c>dotnet publish Mediator.Api -c Release
/// -r linux-x64</c>, once per test run (1-4 minutes on the 2-core machine). Everything else in the suite runs the JIT build
/// of the same code; these tests prove the native executable does the same job: options bound and validated by
/// generated code (no reflection), the invitation's JSON, DID Exchange, mediation, forwards delivered live across
/// replicas exactly once, idle sockets held.
/// </summary>
public sealed class NativeReplicaTests(NativeReplica replica) : IClassFixture<NativeReplica>
{
    [Fact]
    public async Task The_native_replicas_deliver_every_forward_live_across_replicas_exactly_once()
    {
        var json = Path.Combine(Path.GetTempPath(), $"loadgen-native-{Guid.NewGuid():N}.json");
        var output = new StringWriter();
        var options = LoadOptions.Parse(["--replicas", "2", "--wallets", "4", "--forwards", "80", "--concurrency", "4",
            "--pgbench-seconds", "0", "--max-run", "240", "--json", json, "--mediator-dll", await replica.GetExecutableAsync()]);
        var code = await new LoadRun(options, output).RunAsync(CancellationToken.None);
        Assert.True(code == 0, output.ToString());
        var report = JsonNode.Parse(await File.ReadAllTextAsync(json))!;
        File.Delete(json);
        Assert.Equal(80, report["forwards_accepted"]!.GetValue<long>());
        Assert.Equal(0, report["lost"]!.GetValue<long>());
        Assert.Equal(0, report["duplicated"]!.GetValue<long>());
        Assert.True(report["forwards_cross_replica"]!.GetValue<long>() > 0);
        Assert.Equal(80, report["latency_us"]!["count"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_native_replica_holds_idle_live_sessions()
    {
        var output = new StringWriter();
        var options = LoadOptions.Parse(["--mode", "idle", "--replicas", "1", "--wallets", "40", "--hold", "1",
            "--pgbench-seconds", "0", "--max-run", "240", "--mediator-dll", await replica.GetExecutableAsync()]);
        var code = await new LoadRun(options, output).RunAsync(CancellationToken.None);
        var text = output.ToString();
        Assert.True(code == 0, text);
        Assert.Contains("40 live WebSocket sessions", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Pickup__LeaseDuration", "00:00:00.001", "LeaseDuration")]
    [InlineData("Pickup__WriteBatching__Writers", "0", "Writers")]
    [InlineData("Mediator__Transports__WebSocketIdleTimeout", "00:00:00", "WebSocketIdleTimeout")]
    [InlineData("Mediator__PublicEndpoint", "localhost:5080", "absolute http(s) URL")]
    public async Task A_native_replica_with_an_invalid_option_stops_at_start_with_the_reason(string name, string value, string expected)
    {
        var executable = await replica.GetExecutableAsync();
        var start = new ProcessStartInfo(executable) { WorkingDirectory = Path.GetDirectoryName(executable)! };
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        // Validation happens before any connection is opened: the server address is never dialled.
        start.Environment["ConnectionStrings__pickup"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";
        start.Environment["Mediator__PublicEndpoint"] = "http://127.0.0.1:5080";
        start.Environment["Mediator__KeySeed"] = "native-replica-tests-key-seed-passphrase-0001";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        start.Environment[name] = value;
        // A replica that accepted the option would keep running: ToolProcess kills it after 60 s and the test fails.
        var (exitCode, output, error) = await ToolProcess.RunAsync(start, TimeSpan.FromSeconds(60), CancellationToken.None);
        var printed = output + error;
        Assert.NotEqual(0, exitCode);
        Assert.Contains("OptionsValidationException", printed, StringComparison.Ordinal);
        Assert.Contains(expected, printed, StringComparison.Ordinal);
    }
}

/// <summary>Publishes Mediator.Api as native AOT once for the test class, into a temporary directory removed afterwards.</summary>
public sealed class NativeReplica : IAsyncLifetime
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"mediator-native-{Guid.NewGuid():N}");
    private Task<string>? _published;

    /// <summary>The published executable (published on first use).</summary>
    public Task<string> GetExecutableAsync() => _published ??= PublishAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<string> PublishAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        return await NativeMediatorBuild.PublishAsync(NativeMediatorBuild.FindRepositoryRoot(AppContext.BaseDirectory), _output, timeout.Token);
    }
}
