using Mediator.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Mediator.Interop.Tests;

/// <summary>
/// More of what a Credo 0.5.17 wallet does with a mediator (README "What a Credo wallet expects", points 2, 3 and 10),
/// with few messages each: forwards to the ws:// endpoint, a Connections 1.0 wallet, a wallet without a pickup strategy.
/// </summary>
public sealed class CredoInteropExtraTests(MediatorPairFixture mediators, ITestOutputHelper output) : IClassFixture<MediatorPairFixture>
{
    [Fact]
    public async Task Forwards_sent_to_the_websocket_endpoint_reach_the_live_recipient()
    {
        // The recipient's invitation names the mediator's ws:// endpoint: the sender opens a socket per forward, sends
        // it and closes at once (Credo does so for a message that expects no reply); each must still be processed.
        var options = new ScenarioOptions(mediators.A.InvitationUrl)
        {
            Pickup = "live", Count = 30, Phases = ["live"], InvitationEndpoint = mediators.A.WebSocketEndpoint,
        };

        await RunAsync(options, mediators.A);
    }

    [Fact]
    public async Task Connections_1_0_wallet_gets_mediation_and_every_message()
    {
        // Credo prefers DID Exchange whenever it is offered: an invitation offering only Connections 1.0 makes both
        // agents take the mediator through Connections 1.0 (response with connection~sig by the invitation key).
        var connectionsOnly = InvitationUrl.WithHandshakeProtocols(mediators.A.InvitationUrl, "https://didcomm.org/connections/1.0");
        var options = new ScenarioOptions(connectionsOnly) { Pickup = "live", Count = 10, Phases = ["live", "offline"] };

        await RunAsync(options, mediators.A);
    }

    [Fact]
    public async Task Wallet_without_a_pickup_strategy_discovers_pickup_2_0_and_gets_every_message()
    {
        // No mediatorPickupStrategy: Credo asks discover-features for messagepickup/2.0 and then polls with it.
        var options = new ScenarioOptions(mediators.A.InvitationUrl) { Pickup = "auto", Count = 10, Phases = ["live", "offline"] };

        await RunAsync(options, mediators.A);
    }

    private async Task<ScenarioRun> RunAsync(ScenarioOptions options, params MediatorReplica[] replicas)
    {
        var marks = replicas.Select(r => (r, r.Log.Mark())).ToList();
        var run = await CredoHarness.RunScenarioAsync(options, mediators.LogDirectory, CancellationToken.None);
        ScenarioAssert.Passed(run, options, marks, output);
        foreach (var (replica, mark) in marks)
        {
            var problems = replica.ProblemsSince(mark);
            output.WriteLine($"mediator {replica.Name}: {problems.Count} warning/error log lines during the scenario");
            foreach (var line in problems.Take(20)) output.WriteLine("  " + line);
            Assert.False(replica.HasExited, $"Mediator replica {replica.Name} exited during the scenario.{Environment.NewLine}{replica.LogTail(60, mark)}");
            var crashes = problems.Where(l => l.Contains(" crit: ", StringComparison.Ordinal) || l.Contains("Unhandled exception", StringComparison.Ordinal)).ToList();
            Assert.True(crashes.Count == 0, $"Mediator replica {replica.Name} logged critical errors:{Environment.NewLine}{string.Join(Environment.NewLine, crashes.Take(20))}");
        }
        return run;
    }
}
