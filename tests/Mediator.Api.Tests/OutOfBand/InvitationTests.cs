using System.Net;
using System.Text.Json.Nodes;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;

namespace Mediator.Api.Tests.OutOfBand;

public sealed class InvitationTests
{
    [Fact]
    public async Task Invitation_json_has_the_url_the_invitation_and_the_mediator_key_on_every_replica()
    {
        await using var a = await MediatorTestHost.StartOnNewDatabaseAsync("oob");
        await using var b = await MediatorTestHost.StartAsync(a.ConnectionString);
        using var http = a.CreateHttpClient();

        var body = (JsonObject)JsonNode.Parse(await http.GetStringAsync("/invitation"))!;
        var invitation = (JsonObject)body["invitation"]!;
        Assert.Equal("https://didcomm.org/out-of-band/1.1/invitation", (string?)invitation["@type"]);
        Assert.Equal(["https://didcomm.org/didexchange/1.1", "https://didcomm.org/connections/1.0"],
            invitation["handshake_protocols"]!.AsArray().Select(n => (string)n!));
        var services = invitation["services"]!.AsArray();
        Assert.Equal([$"http://127.0.0.1:{a.HttpEndpoint.Port}", $"ws://127.0.0.1:{a.HttpEndpoint.Port}"],
            services.Select(s => (string)s!["serviceEndpoint"]!));
        var mediatorKey = a.Keys.MediatorKey;
        Assert.All(services, s =>
        {
            Assert.Equal("did-communication", (string?)s!["type"]);
            Assert.Equal([mediatorKey.DidKey], s["recipientKeys"]!.AsArray().Select(k => (string)k!));
            Assert.Empty(s["routingKeys"]!.AsArray());
        });

        // The URL carries the same invitation, base64url in ?oob=.
        var url = (string)body["url"]!;
        Assert.StartsWith($"http://127.0.0.1:{a.HttpEndpoint.Port}?oob=", url, StringComparison.Ordinal);
        var decoded = JsonNode.Parse(Base64UrlEncoding.Decode(url[(url.IndexOf("?oob=", StringComparison.Ordinal) + 5)..]))!;
        Assert.True(JsonNode.DeepEquals(invitation, decoded), $"url invitation {decoded} != {invitation}");

        // Another replica has the same key and the same invitation id (only its endpoints differ).
        using var httpB = b.CreateHttpClient();
        var invitationB = JsonNode.Parse(await httpB.GetStringAsync("/invitation"))!["invitation"]!;
        Assert.Equal((string?)invitation["@id"], (string?)invitationB["@id"]);
        Assert.Equal(mediatorKey.DidKey, (string?)invitationB["services"]![0]!["recipientKeys"]![0]);
        Assert.Equal(mediatorKey.Verkey, DidKey.ToVerkey((string)services[0]!["recipientKeys"]![0]!));
    }

    [Fact]
    public async Task Invitation_url_format_is_plain_text_and_an_unknown_format_is_400()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("oob");
        using var http = host.CreateHttpClient();

        using var text = await http.GetAsync("/invitation?format=url");
        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        Assert.Equal("text/plain", text.Content.Headers.ContentType?.MediaType);
        var url = await text.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(await http.GetStringAsync("/invitation"))!;
        Assert.Equal((string?)json["url"], url);

        using var bad = await http.GetAsync("/invitation?format=qr");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Unknown format 'qr'", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
