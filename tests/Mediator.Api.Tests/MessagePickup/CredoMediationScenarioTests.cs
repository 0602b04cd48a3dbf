using Mediator.Api.Tests.Routing;
using Mediator.Api.Tests.Support;

namespace Mediator.Api.Tests.MessagePickup;

/// <summary>
/// Real Credo 0.5.17 agents (tests/interop/credo/scenario.mjs) against the real mediator: a recipient takes it as its
/// mediator from the invitation URL (mediate-request, keylist-update, pickup 2.0 live mode over WebSocket); a sender
/// connects to the recipient through the mediator and sends basic messages; every message must arrive exactly once while
/// live, after going offline and coming back, and when the recipient's socket is dropped mid-stream.
/// </summary>
[Collection(CredoModelCollection.Name)]
public sealed class CredoMediationScenarioTests(CredoModel credo)
{
    [Theory]
    [InlineData("live", "live,offline,drop", 200)]
    [InlineData("poll", "live,offline", 30)]
    public async Task Credo_recipient_gets_every_message_exactly_once(string pickup, string phases, int count)
    {
        await using var host = await RoutingTestApp.StartOnNewDatabaseAsync();
        using var http = host.CreateHttpClient();
        var url = await http.GetStringAsync("/invitation?format=url");

        await using var scenario = NodeScript.Start(credo.PackageDirectory, "scenario.mjs",
            "--mediator-invitation-url", url, "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--pickup", pickup, "--phases", phases,
            "--timeout-ms", "120000", "--log-level", "error");
        var summary = await scenario.WaitForAsync(e => (string?)e["event"] == "summary", "the scenario summary", TimeSpan.FromMinutes(4));
        var phaseLines = string.Join("\n", scenario.Events.Where(e => (string?)e["event"] == "phase").Select(e => e.ToJsonString()));
        Assert.True((bool?)summary["ok"] == true, $"scenario failed: {summary.ToJsonString()}\n{phaseLines}\nstderr:\n{scenario.StandardError}");
        Assert.Equal(phases.Split(','), summary["phases"]!.AsArray().Select(p => (string?)p!["phase"]));
        await scenario.DisposeAsync();
        await LiveDeliveryTests.EndLiveAsync(host, null);
    }

    [Fact]
    public async Task Credo_sender_on_replica_B_reaches_the_recipient_live_on_replica_A()
    {
        await using var hostA = await RoutingTestApp.StartOnNewDatabaseAsync();
        await using var hostB = await RoutingTestApp.StartAsync(hostA.ConnectionString);
        using var httpA = hostA.CreateHttpClient();
        using var httpB = hostB.CreateHttpClient();
        var urlA = await httpA.GetStringAsync("/invitation?format=url");
        var urlB = await httpB.GetStringAsync("/invitation?format=url");

        await using var scenario = NodeScript.Start(credo.PackageDirectory, "scenario.mjs",
            "--mediator-invitation-url", urlA, "--sender-mediator-invitation-url", urlB,
            "--invitation-endpoint", hostB.HttpEndpoint.ToString().TrimEnd('/'),
            "--count", "200", "--pickup", "live", "--phases", "live,offline", "--timeout-ms", "120000", "--log-level", "error");
        var summary = await scenario.WaitForAsync(e => (string?)e["event"] == "summary", "the scenario summary", TimeSpan.FromMinutes(4));
        var phaseLines = string.Join("\n", scenario.Events.Where(e => (string?)e["event"] == "phase").Select(e => e.ToJsonString()));
        Assert.True((bool?)summary["ok"] == true, $"scenario failed: {summary.ToJsonString()}\n{phaseLines}\nstderr:\n{scenario.StandardError}");
        Assert.Equal(["live", "offline"], summary["phases"]!.AsArray().Select(p => (string?)p!["phase"]));
        await scenario.DisposeAsync();
        await LiveDeliveryTests.EndLiveAsync(hostA, null);
    }
}
