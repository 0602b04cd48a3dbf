using Mediator.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Mediator.Interop.Tests;

/// <summary>
/// Issue 4, "Interop with a real client": Credo-ts 0.5.17 agents (tests/interop/credo) against the real mediator, run as
/// two OS processes over one PostgreSQL. A recipient takes the mediator from its invitation URL; a sender connects to
/// the recipient through an invitation routed via the mediator and sends basic messages; every message must reach the
/// recipient exactly once. Each test runs its own agents, so the tests share one mediator pair.
/// </summary>
public sealed class CredoInteropTests(MediatorPairFixture mediators, ITestOutputHelper output) : IClassFixture<MediatorPairFixture>
{
    private const int Count = 200;

    [Fact]
    public async Task Live_mode_delivers_200_messages_exactly_once_while_live_and_after_coming_back_from_offline()
    {
        var options = new ScenarioOptions(mediators.A.InvitationUrl) { Pickup = "live", Count = Count, Phases = ["live", "offline"] };

        await RunAsync(options, mediators.A);
    }

    [Fact]
    public async Task Socket_killed_mid_stream_loses_nothing_and_delivers_nothing_twice()
    {
        // The recipient's WebSocket is destroyed (no close handshake) once a quarter of the batch is sent: the messages
        // pushed but not acknowledged must come again (lease / reconnect), acknowledged ones never.
        var options = new ScenarioOptions(mediators.A.InvitationUrl) { Pickup = "live", Count = Count, Phases = ["drop"] };

        await RunAsync(options, mediators.A);
    }

    [Fact]
    public async Task Recipient_live_on_replica_A_gets_every_forward_that_lands_on_replica_B()
    {
        // The recipient's mediation and live socket are on A; the sender is mediated by B and its invitation from the
        // recipient names B's endpoint, so every forward is posted to B and must reach the socket held by A.
        var options = new ScenarioOptions(mediators.A.InvitationUrl)
        {
            Pickup = "live", Count = Count, Phases = ["live", "offline"],
            SenderMediatorInvitationUrl = mediators.B.InvitationUrl,
            InvitationEndpoint = mediators.B.HttpEndpoint,
        };
        var markA = mediators.A.Log.Mark();
        var markB = mediators.B.Log.Mark();

        var run = await RunAsync(options, mediators.A, mediators.B);

        // The forwards really went to B: 2 x 200 POSTs at least (B also serves the sender's own mediation traffic).
        var postsToB = mediators.B.RequestsSince(markB, "POST");
        var postsToA = mediators.A.RequestsSince(markA, "POST");
        output.WriteLine($"HTTP POSTs during the scenario: replica A {postsToA}, replica B {postsToB}");
        Assert.True(postsToB >= 2 * Count,
            $"Expected at least {2 * Count} POSTs (the forwards) on replica B, got {postsToB} (A got {postsToA}).");
        Assert.Equal(mediators.B.HttpEndpoint, run.Summary?.GetProperty("invitationEndpoint").GetString());
    }

    [Fact]
    public async Task Polling_pickup_delivers_200_messages_exactly_once_while_online_and_after_offline()
    {
        var options = new ScenarioOptions(mediators.A.InvitationUrl) { Pickup = "poll", Count = Count, Phases = ["live", "offline"] };

        await RunAsync(options, mediators.A);
    }

    [Fact]
    public async Task Forwards_sent_to_the_websocket_endpoint_reach_the_live_recipient()
    {
        // The recipient's invitation names the mediator's ws:// endpoint: the sender opens a socket per forward, sends
        // it and closes at once (Credo does so for a message that expects no reply); each must still be processed.
        var options = new ScenarioOptions(mediators.A.InvitationUrl)
        {
            Pickup = "live", Count = 50, Phases = ["live"], InvitationEndpoint = mediators.A.WebSocketEndpoint,
        };

        await RunAsync(options, mediators.A);
    }

    [Fact]
    public async Task Connections_1_0_wallet_gets_mediation_and_every_message()
    {
        // Credo prefers DID Exchange whenever it is offered: an invitation offering only Connections 1.0 makes both
        // agents take the mediator through Connections 1.0 (response with connection~sig by the invitation key).
        var connectionsOnly = InvitationUrl.WithHandshakeProtocols(mediators.A.InvitationUrl, "https://didcomm.org/connections/1.0");
        var options = new ScenarioOptions(connectionsOnly) { Pickup = "live", Count = 20, Phases = ["live", "offline"] };

        await RunAsync(options, mediators.A);
    }

    [Fact]
    public async Task Wallet_without_a_pickup_strategy_discovers_pickup_2_0_and_gets_every_message()
    {
        // No mediatorPickupStrategy: Credo asks discover-features for messagepickup/2.0 and then polls with it.
        var options = new ScenarioOptions(mediators.A.InvitationUrl) { Pickup = "auto", Count = 20, Phases = ["live", "offline"] };

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
