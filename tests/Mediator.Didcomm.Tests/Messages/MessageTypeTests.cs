using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Tests.Messages;

public class MessageTypeTests
{
    [Theory]
    [InlineData("https://didcomm.org/trust_ping/1.0/ping", "https://didcomm.org", "trust_ping", 1, 0, "ping")]
    [InlineData("https://didcomm.org/coordinate-mediation/1.0/mediate-request", "https://didcomm.org", "coordinate-mediation", 1, 0, "mediate-request")]
    [InlineData("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/connections/1.0/request", "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec", "connections", 1, 0, "request")]
    [InlineData("https://didcomm.org/messagepickup/2.0/delivery-request", "https://didcomm.org", "messagepickup", 2, 0, "delivery-request")]
    [InlineData("https://example.org/some/path/proto_x/12.34/msg", "https://example.org/some/path", "proto_x", 12, 34, "msg")]
    public void Parse_splits_the_uri(string uri, string doc, string protocol, int major, int minor, string name)
    {
        var t = MessageType.Parse(uri);
        Assert.Equal(doc, t.DocumentUri);
        Assert.Equal(protocol, t.ProtocolName);
        Assert.Equal(major, t.MajorVersion);
        Assert.Equal(minor, t.MinorVersion);
        Assert.Equal(name, t.MessageName);
        Assert.Equal(uri, t.Uri);
        Assert.Equal($"{doc}/{protocol}/{major}.{minor}", t.ProtocolUri);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ping")]
    [InlineData("https://didcomm.org/trust_ping/ping")]
    [InlineData("https://didcomm.org/trust_ping/1/ping")]
    [InlineData("https://didcomm.org/trust_ping/1.0/")]
    [InlineData("https://didcomm.org/trust_ping/1.0")]
    [InlineData("/trust_ping/1.0/ping")]
    [InlineData("https://didcomm.org/trust ping/1.0/ping")]
    [InlineData("https://didcomm.org/trust_ping/a.b/ping")]
    [InlineData("https://didcomm.org/trust_ping/99999999999.0/ping")]
    public void Parse_rejects_what_is_not_a_type_uri(string uri)
    {
        var e = Assert.Throws<MalformedMessageException>(() => MessageType.Parse(uri));
        Assert.Equal("@type", e.Field);
        Assert.False(MessageType.TryParse(uri, out _));
    }

    [Fact]
    public void Legacy_prefix_normalises_to_didcomm_org_and_back()
    {
        var legacy = MessageType.Parse("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping");
        Assert.True(legacy.IsLegacyPrefix);
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping", legacy.Normalized().Uri);
        Assert.Equal(legacy.Uri, legacy.Normalized().WithLegacyPrefix().Uri);
    }

    [Theory]
    [InlineData("https://didcomm.org/trust_ping/1.0/ping", "https://didcomm.org/trust_ping/1.0/ping", true)]
    [InlineData("https://didcomm.org/trust_ping/1.0/ping", "https://didcomm.org/trust_ping/1.3/ping", true)]
    [InlineData("https://didcomm.org/didexchange/1.1/request", "https://didcomm.org/didexchange/1.0/request", true)]
    [InlineData("https://didcomm.org/trust_ping/1.0/ping", "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping", true)]
    [InlineData("https://didcomm.org/trust_ping/1.0/ping", "https://didcomm.org/trust_ping/2.0/ping", false)]
    [InlineData("https://didcomm.org/trust_ping/1.0/ping", "https://didcomm.org/trust_ping/1.0/ping_response", false)]
    [InlineData("https://didcomm.org/trust_ping/1.0/ping", "https://didcomm.org/other/1.0/ping", false)]
    [InlineData("https://didcomm.org/trust_ping/1.0/ping", "https://example.org/trust_ping/1.0/ping", false)]
    public void Accepts_ignores_minor_version_and_legacy_prefix_only(string expected, string incoming, bool accepted)
    {
        Assert.Equal(accepted, MessageType.Parse(expected).Accepts(MessageType.Parse(incoming)));
    }

    [Fact]
    public void ProtocolUri_parses_handshake_protocols()
    {
        Assert.True(ProtocolUri.TryParse("https://didcomm.org/didexchange/1.1", out var p));
        Assert.Equal("didexchange", p.ProtocolName);
        Assert.Equal(1, p.MajorVersion);
        Assert.Equal(1, p.MinorVersion);
        Assert.True(ProtocolUri.TryParse("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/connections/1.0", out var legacy));
        Assert.True(ProtocolUri.TryParse("https://didcomm.org/connections/1.0", out var modern));
        Assert.True(modern.Accepts(legacy));
        Assert.False(ProtocolUri.TryParse("https://didcomm.org/didexchange", out _));
    }
}
