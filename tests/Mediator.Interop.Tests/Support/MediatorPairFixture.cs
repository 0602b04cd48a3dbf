using System.Security.Cryptography;
using PickupAspire.TestSupport;

namespace Mediator.Interop.Tests.Support;

/// <summary>
/// Two replicas of one mediator (same key seed, one fresh PostgreSQL database), each its own OS process on its own
/// loopback port, started together (so they also race for the schema). Shared by one test class; every scenario in it
/// uses its own Credo agents (fresh keys and connections), so scenarios do not see each other's data.
/// </summary>
public sealed class MediatorPairFixture : IAsyncLifetime
{
    private MediatorReplica? _a;
    private MediatorReplica? _b;

    public MediatorReplica A => _a ?? throw new InvalidOperationException("The mediator pair is not started.");
    public MediatorReplica B => _b ?? throw new InvalidOperationException("The mediator pair is not started.");

    /// <summary>Where the replicas' full logs are written (kept after the run).</summary>
    public string LogDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "interop-logs",
        $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}"[..24]);

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var server = await PostgresServer.GetSharedAsync(timeout.Token);
        var database = await server.CreateDatabaseAsync("interop", timeout.Token);
        var environment = MediatorReplica.SharedEnvironment(database, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        var a = MediatorReplica.StartAsync("A", environment, LogDirectory, timeout.Token);
        var b = MediatorReplica.StartAsync("B", environment, LogDirectory, timeout.Token);
        try
        {
            await Task.WhenAll(a, b);
        }
        catch
        {
            // Stop whichever did start; report the first failure.
            foreach (var started in new[] { a, b }.Where(t => t.IsCompletedSuccessfully)) await started.Result.DisposeAsync();
            throw;
        }
        _a = a.Result;
        _b = b.Result;
    }

    private Lazy<Task<SharedRun>>? _dropRun;

    /// <summary>
    /// One drop-phase scenario on replica A (200 messages, the recipient's socket destroyed once 50 are sent), run on
    /// first use and judged by several tests (exactly-once vs. at-least-once readings of the same run).
    /// </summary>
    public Task<SharedRun> DropRunAsync()
    {
        _dropRun ??= new Lazy<Task<SharedRun>>(async () =>
        {
            var options = new ScenarioOptions(A.InvitationUrl) { Pickup = "live", Count = 200, Phases = ["drop"] };
            var mark = A.Log.Mark();
            var run = await CredoHarness.RunScenarioAsync(options, LogDirectory, CancellationToken.None);
            return new SharedRun(options, run, mark);
        });
        return _dropRun.Value;
    }

    public async Task DisposeAsync()
    {
        // Both are stopped even if the first one fails to stop cleanly; a leftover process fails the class.
        try
        {
            if (_a is not null) await _a.DisposeAsync();
        }
        finally
        {
            if (_b is not null) await _b.DisposeAsync();
        }
    }
}

/// <summary>A scenario run shared by several tests, with the replica log mark taken before it started.</summary>
public sealed record SharedRun(ScenarioOptions Options, ScenarioRun Run, int MarkA);
