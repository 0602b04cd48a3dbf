using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Tests.Messages;

public class ProblemReportAndRegistryTests
{
    [Fact]
    public void Problem_report_carries_code_text_and_the_thread()
    {
        var request = DidcommMessage.Parse("""{"@type":"https://didcomm.org/routing/1.0/forward","@id":"fwd-00000001","to":"unknown"}""");
        var built = ProblemReport.Create("recipient-not-found", "No mediation for key unknown.", request).Build();
        Assert.Equal(ProblemReport.Type, built.Type.Uri);
        Assert.Equal("fwd-00000001", built.Thread!.ThreadId);
        var description = built.GetObject("description")!;
        Assert.Equal("recipient-not-found", description["code"]!.GetValue<string>());
        Assert.Equal("No mediation for key unknown.", description["en"]!.GetValue<string>());

        var parsed = ProblemReport.FromMessage(built);
        Assert.Equal("recipient-not-found", parsed.Code);
        Assert.Equal("fwd-00000001", parsed.ThreadId);
    }

    [Fact]
    public void Problem_report_of_a_protocol_uses_its_type()
    {
        var m = ProblemReport.CreateForThread(ProblemCodes.RequestNotAccepted, "Bad request.", "t-123456",
            "https://didcomm.org/didexchange/1.1/problem_report").Build();
        Assert.Equal("problem_report", m.Type.MessageName);
        Assert.Equal("t-123456", m.ThreadId);
    }

    [Fact]
    public void Problem_report_without_description_code_is_malformed()
    {
        var m = DidcommMessage.Parse("""{"@type":"https://didcomm.org/notification/1.0/problem-report","@id":"pr-0000001","description":{"en":"x"}}""");
        Assert.Equal("description.code", Assert.Throws<MalformedMessageException>(() => ProblemReport.FromMessage(m)).Field);
    }

    [Fact]
    public void Registry_resolves_across_minor_versions_and_legacy_prefix()
    {
        var registry = new MessageHandlerRegistry<string>()
            .Register("https://didcomm.org/trust_ping/1.0/ping", "ping")
            .Register("https://didcomm.org/didexchange/1.0/request", "dx10")
            .Register("https://didcomm.org/didexchange/1.1/request", "dx11")
            .Register("https://didcomm.org/discover-features/2.0/queries", "df2");

        Assert.True(registry.TryResolve(MessageType.Parse("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping"), out var h, out var t));
        Assert.Equal("ping", h);
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping", t.Uri);

        Assert.True(registry.TryResolve(MessageType.Parse("https://didcomm.org/trust_ping/1.4/ping"), out h, out _));
        Assert.Equal("ping", h);

        Assert.True(registry.TryResolve(MessageType.Parse("https://didcomm.org/didexchange/1.1/request"), out h, out _));
        Assert.Equal("dx11", h);
        Assert.True(registry.TryResolve(MessageType.Parse("https://didcomm.org/didexchange/1.0/request"), out h, out _));
        Assert.Equal("dx10", h);
        Assert.True(registry.TryResolve(MessageType.Parse("https://didcomm.org/didexchange/1.7/request"), out h, out t));
        Assert.Equal("dx11", h);
        Assert.Equal(1, t.MinorVersion);

        Assert.False(registry.TryResolve(MessageType.Parse("https://didcomm.org/discover-features/1.0/queries"), out _, out _));
        Assert.False(registry.TryResolve(MessageType.Parse("https://didcomm.org/trust_ping/1.0/ping_response"), out _, out _));

        Assert.Contains("https://didcomm.org/didexchange/1.1", registry.ProtocolUris);
        Assert.Contains("https://didcomm.org/didexchange/1.0", registry.ProtocolUris);
        Assert.Equal(4, registry.MessageTypes.Count);
        Assert.Throws<InvalidOperationException>(() => registry.Register("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping", "again"));
    }

    [Fact]
    public void JsJson_matches_JSON_stringify_escaping()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse("{\"a\":\"<&>'+é\\u0001\\n\\\"\\\\\",\"n\":0,\"f\":1.5,\"big\":12345678901234,\"arr\":[true,false,null]}");
        Assert.Equal("{\"a\":\"<&>'+é\\u0001\\n\\\"\\\\\",\"n\":0,\"f\":1.5,\"big\":12345678901234,\"arr\":[true,false,null]}", JsJson.Stringify(node));
    }
}
