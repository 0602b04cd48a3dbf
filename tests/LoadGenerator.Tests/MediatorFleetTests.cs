using LoadGenerator.Mediators;
using LoadGenerator.Wallets;
using PickupAspire.TestSupport;

namespace LoadGenerator.Tests;

/// <summary>The generator's own mediator processes and its wallet, against the real Mediator.Api (built with the generator).</summary>
public class MediatorFleetTests
{
    [Fact]
    public async Task Two_replicas_share_one_mediator_and_a_simulated_wallet_connects_with_did_exchange()
    {
        var server = await PostgresServer.GetSharedAsync();
        var cs = await server.CreateDatabaseAsync("fleet");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var fleet = await MediatorFleet.StartAsync(LoadRun.FindMediatorDll(), 2, cs, "fleet-test-key-seed-passphrase-of-32-chars+", "Warning", timeout.Token);
        Assert.Equal(2, fleet.Endpoints.Count);
        Assert.NotEqual(fleet.Endpoints[0], fleet.Endpoints[1]);
        Assert.Equal(2, fleet.Pids.Distinct().Count());

        using var http = new HttpClient();
        var dids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var ws = new UriBuilder(fleet.Endpoints[i]) { Scheme = "ws" }.Uri;
            await using var wallet = new SimulatedWallet(i, fleet.Endpoints[i], ws, http, (_, _, _) => { });
            await wallet.ConnectAsync(timeout.Token);
            Assert.NotNull(wallet.MediatorVerkey);
            Assert.StartsWith("did:", wallet.MediatorDid, StringComparison.Ordinal);
            dids.Add(wallet.MediatorDid!);
        }
        // Both replicas answered DID Exchange; each connection has its own DID, signed by the one shared invitation key.
        Assert.NotEqual(dids[0], dids[1]);
        var invitations = await Task.WhenAll(fleet.Endpoints.Select(e => http.GetStringAsync(new Uri(e, "invitation?format=url"), timeout.Token)));
        Assert.All(invitations, url => Assert.Contains("oob=", url, StringComparison.Ordinal));
        var keys = await Task.WhenAll(fleet.Endpoints.Select(async e =>
            System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri(e, "invitation"), timeout.Token))!["invitation"]!["services"]![0]!["recipientKeys"]![0]!.GetValue<string>()));
        Assert.Equal(keys[0], keys[1]);
        Assert.True(fleet.AllRunning);
    }
}
