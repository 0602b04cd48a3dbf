using System.Text.Json.Nodes;

namespace LoadGenerator.Tests;

/// <summary>
/// The generator's one command, small, end to end: its own durable PostgreSQL, two real mediator replicas, pgbench.
/// Needs a mediator whose Program.cs calls <c>AddMediatorRouting()</c> (without it mediate-request is answered with
/// <c>unsupported-message</c> and these tests fail, as they should).
/// </summary>
public class LoadRunTests
{
    [Fact]
    public async Task A_small_live_run_over_two_replicas_delivers_every_forward_exactly_once_and_reports_the_figures()
    {
        var json = Path.Combine(Path.GetTempPath(), $"loadgen-{Guid.NewGuid():N}.json");
        var output = new StringWriter();
        var options = LoadOptions.Parse(["--replicas", "2", "--wallets", "3", "--forwards", "60", "--concurrency", "4",
            "--pgbench-seconds", "1", "--max-run", "240", "--json", json]);
        var code = await new LoadRun(options, output).RunAsync(CancellationToken.None);
        Assert.True(code == 0, output.ToString());
        var report = JsonNode.Parse(await File.ReadAllTextAsync(json))!;
        File.Delete(json);
        Assert.Equal(60, report["forwards_accepted"]!.GetValue<long>());
        Assert.Equal(0, report["lost"]!.GetValue<long>());
        Assert.Equal(0, report["duplicated"]!.GetValue<long>());
        Assert.True(report["forwards_cross_replica"]!.GetValue<long>() > 0);
        Assert.Equal(60, report["latency_us"]!["count"]!.GetValue<long>());
        Assert.True(report["latency_us"]!["p99"]!.GetValue<long>() > 0);
        Assert.True(report["pgbench_inserts_per_second"]!.GetValue<double>() > 0);
        Assert.True(report["ratio_to_pgbench"]!.GetValue<double>() > 0);
        Assert.Equal(2, report["peak_rss_mb_per_replica"]!.AsObject().Count);
    }

    [Fact]
    public async Task A_small_offline_run_picks_up_everything_in_batches()
    {
        var output = new StringWriter();
        var options = LoadOptions.Parse(["--mode", "offline", "--replicas", "2", "--wallets", "3", "--per-wallet", "25", "--batch", "10",
            "--concurrency", "4", "--pgbench-seconds", "0", "--max-run", "240"]);
        var code = await new LoadRun(options, output).RunAsync(CancellationToken.None);
        var text = output.ToString();
        Assert.True(code == 0, text);
        Assert.Contains("offline pickup: 75 messages", text, StringComparison.Ordinal);
        Assert.Contains("lost 0, duplicated 0", text, StringComparison.Ordinal);
    }
}
