using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Mediator.Interop.Tests.Support;
using PickupAspire.TestSupport;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mediator.Interop.Tests;

/// <summary>The test support itself: the scenario checks can fail, and a stopped mediator leaves no process behind.</summary>
public sealed class HarnessTests(ITestOutputHelper output)
{
    [Fact]
    public void Scenario_checks_report_missing_duplicated_and_offline_deliveries()
    {
        var options = new ScenarioOptions("http://unused?oob=x") { Count = 3, Phases = ["live", "offline"] };
        var run = Synthetic(
            """{"event":"phase","phase":"live","expected":3,"received":3,"unique":2,"duplicates":[{"content":"live0-1","n":2}],"unexpected":[],"missing":["live0-2"],"receivedWhileOffline":0,"ok":false}""",
            """{"event":"phase","phase":"offline","expected":3,"received":3,"unique":3,"duplicates":[],"unexpected":[],"missing":[],"receivedWhileOffline":2,"liveAgain":false,"ok":false}""",
            """{"event":"summary","ok":false}""");

        var problems = ScenarioAssert.Problems(run, options);

        Assert.Contains("phase live: unique expected 3, got 2", problems);
        Assert.Contains(problems, p => p.StartsWith("phase live: missing expected none, got 1: live0-2", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("phase live: duplicates expected none, got 1", StringComparison.Ordinal));
        Assert.Contains("phase offline: receivedWhileOffline expected 0, got 2", problems);
        Assert.Contains(problems, p => p.Contains("liveAgain false", StringComparison.Ordinal));
        Assert.Contains("summary: ok is not true", problems);
        Assert.Contains("scenario.mjs exit code: expected 0, got 1", problems);
    }

    [Fact]
    public void Scenario_checks_report_a_phase_that_never_ran()
    {
        var options = new ScenarioOptions("http://unused?oob=x") { Count = 3, Phases = ["live", "offline"] };
        var run = Synthetic(
            """{"event":"phase","phase":"live","expected":3,"received":3,"unique":3,"duplicates":[],"unexpected":[],"missing":[],"receivedWhileOffline":0,"ok":true}""",
            """{"event":"summary","ok":true}""");

        Assert.Equal(["phases: expected [live, offline], got [live]", "scenario.mjs exit code: expected 0, got 1"],
            ScenarioAssert.Problems(run, options).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Scenario_against_a_mediator_that_does_not_answer_fails()
    {
        // A well-formed mediator invitation whose endpoint is a closed loopback port.
        var port = ClosedPort();
        var invitation = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@type"] = "https://didcomm.org/out-of-band/1.1/invitation",
            ["@id"] = Guid.NewGuid().ToString(),
            ["label"] = "nobody",
            ["handshake_protocols"] = new[] { "https://didcomm.org/didexchange/1.1" },
            ["services"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["id"] = "#inline-0", ["type"] = "did-communication", ["serviceEndpoint"] = $"http://127.0.0.1:{port}",
                    ["recipientKeys"] = new[] { "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK" },
                    ["routingKeys"] = Array.Empty<string>(),
                },
            },
        });
        var url = $"http://127.0.0.1:{port}?oob={Base64Url(invitation)}";
        var options = new ScenarioOptions(url)
        {
            Count = 5, Phases = ["live"], StepTimeout = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(90),
        };

        var run = await CredoHarness.RunScenarioAsync(options, Path.Combine(AppContext.BaseDirectory, "interop-logs"), CancellationToken.None);

        output.WriteLine(ScenarioAssert.Describe(run));
        Assert.False(run.TimedOut, "the scenario should fail by itself, not hang");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Throws<XunitException>(() => ScenarioAssert.Passed(run, options, [], output));
    }

    [Fact]
    public void Invitation_rewrite_keeps_everything_but_the_handshake_protocols()
    {
        var original = InvitationUrl.Encode("http://127.0.0.1:1",
            System.Text.Json.Nodes.JsonNode.Parse("""{"@id":"i-1","handshake_protocols":["a","b"],"services":[{"serviceEndpoint":"http://x"}]}""")!.AsObject());

        var rewritten = InvitationUrl.Decode(InvitationUrl.WithHandshakeProtocols(original, "b"));

        Assert.Equal("""{"@id":"i-1","handshake_protocols":["b"],"services":[{"serviceEndpoint":"http://x"}]}""", rewritten.ToJsonString());
    }

    [Fact]
    public async Task Stopped_replica_leaves_no_process_behind()
    {
        var server = await PostgresServer.GetSharedAsync();
        var database = await server.CreateDatabaseAsync("interop_stop");
        var replica = await MediatorReplica.StartAsync("stop", MediatorReplica.SharedEnvironment(database, new string('7', 64)),
            Path.Combine(AppContext.BaseDirectory, "interop-logs"), CancellationToken.None);
        var processes = replica.ProcessIds();
        output.WriteLine($"wrapper and mediator processes: {string.Join(", ", processes)}");
        Assert.True(processes.Count >= 2, $"expected the wrapper and the mediator process, found {string.Join(", ", processes)}");
        Assert.All(processes, pid => Assert.True(ProcessTree.IsAlive(pid), $"process {pid} should be running"));

        await replica.DisposeAsync();

        var survivors = await ProcessTree.WaitGoneAsync(processes, TimeSpan.FromSeconds(1));
        Assert.True(survivors.Count == 0, $"still running after dispose: {string.Join(", ", survivors)}");
        output.WriteLine(string.Join(Environment.NewLine, replica.Log.Tail(5)));
    }

    private static ScenarioRun Synthetic(params string[] lines) => new()
    {
        CommandLine = "synthetic",
        Events = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList(),
        NonJsonLines = [],
        ExitCode = 1,
        TimedOut = false,
        Duration = TimeSpan.Zero,
        Log = new LogBuffer(null),
    };

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
