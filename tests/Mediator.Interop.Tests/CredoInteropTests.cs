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
    public async Task Socket_killed_mid_stream_loses_nothing_and_redelivers_only_unacknowledged_messages()
    {
        // The recipient's WebSocket is destroyed (no close handshake) once a quarter of the batch is sent. Nothing may be
        // lost: what was pushed but not acknowledged must come again. Extra copies are acceptable only as redeliveries of
        // messages not yet acknowledged: the mediator deletes a message when it processes its acknowledgement, so each
        // extra copy must have been handed out while the original was still queued, and the wallet's acknowledgement of
        // that copy then finds nothing to remove. Checked from the mediator's log: ids listed but not found in the
        // recipient's messages-received = extra copies the recipient got, and no such acknowledgement before the live
        // session was lost. Limits: an acknowledgement that failed to delete a message, followed by a redelivery, would
        // balance the same way, and so would one delivery reaching the wallet twice (seen once: duplicates in batches of
        // exactly the sizes of two delivery-request replies, see the README's findings). No stricter check is made: delivery
        // is at-least-once until acknowledged, and a wallet that acknowledges late (Credo acknowledges over HTTP, seconds
        // after the push on a loaded machine) may see a message again that it had not yet acknowledged.
        var shared = await mediators.DropRunAsync();
        var run = shared.Run;
        var problems = new List<string>();
        var recipients = mediators.A.MediationGrantsSince(shared.MarkA, "credo-recipient");
        var extraCopies = run.Phases.Sum(p => p.GetProperty("received").GetInt32() - p.GetProperty("unique").GetInt32());
        if (recipients.Count != 1)
        {
            problems.Add($"expected one recipient connection granted mediation on A during the run, found {recipients.Count}");
        }
        else
        {
            var acks = mediators.A.AcknowledgementsSince(shared.MarkA, recipients[0]);
            output.WriteLine($"recipient connection {recipients[0]}: {acks.Acknowledgements} messages-received listing {acks.Listed} ids, " +
                             $"{acks.Removed} removed, {acks.NotFound} no longer queued; {acks.Delivered} messages delivered; " +
                             $"{extraCopies} extra copies received");
            foreach (var line in acks.PartialLines) output.WriteLine("  " + line);
            if (acks.NotFound != extraCopies)
                problems.Add($"acknowledged ids no longer queued: expected {extraCopies} (one per extra copy received), got {acks.NotFound}");
            if (acks.PartialBeforeSessionLoss.Count > 0)
                problems.Add($"acknowledgements of already removed messages before the live session was lost: {string.Join(" | ", acks.PartialBeforeSessionLoss)}");
        }
        ScenarioAssert.Passed(run, shared.Options, [(mediators.A, shared.MarkA)], output, tolerateDuplicates: true, moreProblems: problems);
        Assert.True(run.Phases.Single().GetProperty("socketsDropped").GetInt32() >= 1);
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
