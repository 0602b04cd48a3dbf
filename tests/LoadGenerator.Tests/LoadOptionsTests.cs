namespace LoadGenerator.Tests;

public class LoadOptionsTests
{
    [Fact]
    public void Defaults_start_two_replicas_with_twenty_wallets_and_two_thousand_forwards()
    {
        var o = LoadOptions.Parse([]);
        Assert.Equal((LoadMode.Live, 2, 20, 2000L, 16), (o.Mode, o.Replicas, o.Wallets, o.Forwards, o.Concurrency));
        Assert.True(o.StartsOwnMediators);
        Assert.Equal(100, o.PerWallet);
        Assert.Equal(40, o.EffectiveWarmup);
    }

    [Fact]
    public void Targets_and_pids_are_lists()
    {
        var o = LoadOptions.Parse(["--target", "http://127.0.0.1:5080,http://localhost:5081/", "--pids", "10,11", "--mode", "offline", "--per-wallet", "50"]);
        Assert.False(o.StartsOwnMediators);
        Assert.Equal(["http://127.0.0.1:5080/", "http://localhost:5081/"], o.Targets.Select(t => t.ToString()));
        Assert.Equal([10, 11], o.Pids);
        Assert.Equal(LoadMode.Offline, o.Mode);
        Assert.Equal(50, o.PerWallet);
    }

    [Theory]
    [InlineData("--wallets", "0", "--wallets")]
    [InlineData("--wallets", "many", "--wallets")]
    [InlineData("--mode", "burst", "--mode")]
    [InlineData("--target", "http://example.com:5080", "loopback")]
    [InlineData("--target", "ftp://127.0.0.1", "--target")]
    [InlineData("--pids", "1,x", "--pids")]
    [InlineData("--pg-host", "10.0.0.1", "loopback")]
    [InlineData("--key-seed", "short", "32")]
    [InlineData("--frobnicate", "1", "Unknown option --frobnicate")]
    [InlineData("--ack", "carrier-pigeon", "--ack")]
    [InlineData("--mediator-env", "NOEQUALS", "--mediator-env")]
    [InlineData("--rate", "0", "--rate")]
    [InlineData("--rate", "fast", "--rate")]
    [InlineData("--native", "yes", "--native")]
    public void Bad_values_name_the_option(string name, string value, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => LoadOptions.Parse([name, value]));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Acknowledgements_over_http_and_the_pgbench_only_mode()
    {
        Assert.False(LoadOptions.Parse([]).AcknowledgeOverHttp);
        Assert.True(LoadOptions.Parse(["--ack", "http"]).AcknowledgeOverHttp);
        Assert.Equal(LoadMode.PgBench, LoadOptions.Parse(["--mode", "pgbench"]).Mode);
        var env = LoadOptions.Parse(["--mediator-env", "DOTNET_gcServer=0, A=b=c"]).MediatorEnvironment;
        Assert.Equal("0", env["DOTNET_gcServer"]);
        Assert.Equal("b=c", env["A"]);
    }

    [Fact]
    public void The_native_build_is_asked_for_and_excludes_a_given_mediator()
    {
        Assert.False(LoadOptions.Parse([]).Native);
        Assert.True(LoadOptions.Parse(["--native", "true"]).Native);
        var e = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--native", "true", "--mediator-dll", "/tmp/Mediator.Api.dll"]));
        Assert.Contains("exclude each other", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fixed_rate_is_optional()
    {
        Assert.Null(LoadOptions.Parse([]).Rate);
        Assert.Equal(1000.0, LoadOptions.Parse(["--rate", "1000"]).Rate);
        Assert.Equal(12.5, LoadOptions.Parse(["--rate", "12.5"]).Rate);
    }

    [Fact]
    public void An_option_without_a_value_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--wallets"]));
        Assert.Contains("needs a value", e.Message, StringComparison.Ordinal);
    }
}
