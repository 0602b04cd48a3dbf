using System.Text.Json.Nodes;
using Mediator.Api.DiscoverFeatures;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.Tests.DiscoverFeatures;

public sealed class DiscoverFeaturesTests
{
    private static async Task<(MediatorTestHost Host, TestWallet Wallet)> ConnectedAsync()
    {
        var host = await MediatorTestHost.StartOnNewDatabaseAsync("disco");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        return (host, wallet);
    }

    [Fact]
    public async Task Query_1_0_discloses_matching_protocols_with_roles()
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;

        var query = new MessageBuilder("https://didcomm.org/discover-features/1.0/query").With("query", "https://didcomm.org/*");
        var reply = await wallet.RequestHttpAsync(query);

        Assert.Equal("https://didcomm.org/discover-features/1.0/disclose", reply.Type);
        Assert.Equal(query.Id, reply.Message.ThreadId);
        var protocols = reply.Message.GetArray("protocols")!.Select(p => (JsonObject)p!).ToList();
        var pids = protocols.Select(p => (string)p["pid"]!).ToList();
        foreach (var expected in new[]
                 {
                     "https://didcomm.org/trust_ping/1.0", "https://didcomm.org/didexchange/1.1", "https://didcomm.org/connections/1.0",
                     "https://didcomm.org/out-of-band/1.1", "https://didcomm.org/discover-features/1.0", "https://didcomm.org/discover-features/2.0",
                 })
        {
            Assert.Contains(expected, pids);
        }
        Assert.Equal(["responder"], protocols.Single(p => (string)p["pid"]! == "https://didcomm.org/didexchange/1.1")["roles"]!.AsArray().Select(r => (string)r!));

        var narrow = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/discover-features/1.0/query").With("query", "https://didcomm.org/trust_ping/*"));
        Assert.Equal(["https://didcomm.org/trust_ping/1.0"], narrow.Message.GetArray("protocols")!.Select(p => (string)p!["pid"]!));

        var none = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/discover-features/1.0/query").With("query", "https://example.org/*"));
        Assert.Empty(none.Message.GetArray("protocols")!);
    }

    [Fact]
    public async Task Queries_2_0_disclose_protocols_and_ignore_other_feature_types()
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;

        var queries = new MessageBuilder("https://didcomm.org/discover-features/2.0/queries").With("queries", new JsonArray(
            new JsonObject { ["feature-type"] = "protocol", ["match"] = "https://didcomm.org/didexchange/1.*" },
            new JsonObject { ["feature-type"] = "protocol", ["match"] = "https://didcomm.org/trust_ping/1.0" },
            new JsonObject { ["feature-type"] = "goal-code", ["match"] = "*" }));
        var reply = await wallet.RequestHttpAsync(queries);

        Assert.Equal("https://didcomm.org/discover-features/2.0/disclosures", reply.Type);
        Assert.Equal(queries.Id, reply.Message.ThreadId);
        var disclosures = reply.Message.GetArray("disclosures")!.Select(d => (JsonObject)d!).ToList();
        Assert.Equal(["https://didcomm.org/didexchange/1.1", "https://didcomm.org/trust_ping/1.0"], disclosures.Select(d => (string)d["id"]!));
        Assert.All(disclosures, d => Assert.Equal("protocol", (string?)d["feature-type"]));
    }

    [Theory]
    [InlineData("1.0/query", "{}", "query")]
    [InlineData("1.0/query", "{\"query\": 7}", "query")]
    [InlineData("1.0/query", "{\"query\": \"\"}", "query")]
    [InlineData("2.0/queries", "{}", "queries")]
    [InlineData("2.0/queries", "{\"queries\": [\"x\"]}", "queries[0]")]
    [InlineData("2.0/queries", "{\"queries\": [{\"feature-type\": \"protocol\"}]}", "queries[0].match")]
    public async Task Malformed_queries_get_a_problem_report_naming_the_field(string type, string body, string field)
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        var json = (JsonObject)JsonNode.Parse(body)!;
        json.Insert(0, "@id", Guid.NewGuid().ToString());
        json.Insert(0, "@type", $"https://didcomm.org/discover-features/{type}");

        var reply = await wallet.SendHttpAsync(json, ReturnRoute.All);

        Assert.Equal("message-parse-failure", reply!.ProblemCode);
        Assert.StartsWith(field, ProblemReport.FromMessage(reply.Message).English.Replace("The message is malformed: ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal((string)json["@id"]!, reply.Message.ThreadId);
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("https://didcomm.org/*", "https://didcomm.org/trust_ping/1.0", true)]
    [InlineData("https://didcomm.org/trust_ping/1.*", "https://didcomm.org/trust_ping/1.0", true)]
    [InlineData("https://didcomm.org/trust_ping/1.0", "https://didcomm.org/trust_ping/1.0", true)]
    [InlineData("https://didcomm.org/trust_ping/2.*", "https://didcomm.org/trust_ping/1.0", false)]
    [InlineData("*ping*", "https://didcomm.org/trust_ping/1.0", true)]
    [InlineData("https://didcomm.org/", "https://didcomm.org/trust_ping/1.0", false)]
    public void Glob_matching(string pattern, string text, bool matches) =>
        Assert.Equal(matches, DiscoverFeaturesHandler.GlobMatch(pattern, text));
}
