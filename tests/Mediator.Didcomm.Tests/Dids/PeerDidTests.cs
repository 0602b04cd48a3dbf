using System.Text.Json.Nodes;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Tests.Dids;

public class PeerDidTests
{
    private const string KeyQRY = "z6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V";   // verkey ByHnpUCFb1vAfh9CFZ8ZkmUZguURW8nSw889hy6rD8L7
    private const string KeyPTHR = "z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH";

    private static byte[] Key(string fingerprint) => DidKey.Decode(DidKey.Prefix + fingerprint).PublicKey;

    [Fact]
    public void NumAlgo1_hashes_the_document_without_id_like_credo()
    {
        var json = Fixture.Load("didPeer1zQmR");
        Assert.Equal("did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c", json["id"]!.GetValue<string>());
        Assert.Equal(json["id"]!.GetValue<string>(), PeerDid.ComputeNumAlgo1(json));
        Assert.True(PeerDid.VerifyNumAlgo1(json["id"]!.GetValue<string>(), json));

        json["service"]![0]!["serviceEndpoint"] = "https://example.com/other";
        Assert.False(PeerDid.VerifyNumAlgo1("did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c", json));
    }

    [Fact]
    public void NumAlgo2_resolves_credo_fixture()
    {
        var expected = Fixture.Load("didPeer2Ez6L");
        var doc = PeerDid.ResolveNumAlgo2(expected["id"]!.GetValue<string>());
        Fixture.AssertMatches(expected, doc.ToJson());
    }

    [Fact]
    public void NumAlgo2_resolves_acapy_fixture_exactly_and_yields_its_didcomm_services()
    {
        var expected = Fixture.Load("didPeer2Ez6LSe3YyteKQAcaPy");
        var did = expected["id"]!.GetValue<string>();
        Assert.True(PeerDid.IsValid(did));
        var doc = PeerDid.ResolveNumAlgo2(did);
        Assert.True(JsonNode.DeepEquals(expected, doc.ToJson()), doc.ToJson().ToJsonString());

        var services = DidcommServiceResolver.Resolve(did);
        Assert.Equal(2, services.Count);
        Assert.Equal("https://us-east.proven.mediator.indiciotech.io/message", services[0].ServiceEndpoint);
        Assert.Equal("wss://ws.us-east.proven.mediator.indiciotech.io/ws", services[1].ServiceEndpoint);
        Assert.All(services, s => Assert.Equal(["GtfgyFMiPxp2kdWM9oboanEXhyzQL7N4cCNE6efHSTVo"], s.RecipientKeys));
        Assert.All(services, s => Assert.Empty(s.RoutingKeys));
    }

    [Fact]
    public void NumAlgo2_with_one_entry_per_service_resolves()
    {
        var expected = Fixture.Load("didPeer2Ez6LMoreServices");
        var doc = PeerDid.ResolveNumAlgo2(expected["id"]!.GetValue<string>());
        Fixture.AssertMatches(expected, doc.ToJson());
        Assert.Equal(2, doc.Service!.Count);
    }

    [Fact]
    public void NumAlgo2_encodes_credo_fixture_document_to_its_id()
    {
        var json = Fixture.Load("didPeer2Ez6L");
        var doc = DidDocument.FromJson(json);
        Assert.Equal(json["id"]!.GetValue<string>(), PeerDid.ToNumAlgo2(doc));
    }

    [Fact]
    public void Document_from_services_encodes_like_credo_outOfBandServiceToNumAlgo2Did()
    {
        var doc = PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#service-0", "https://example.com/endpoint", [Key(KeyQRY)], [Key(KeyPTHR)])]);
        var did = PeerDid.ToNumAlgo2(doc);
        Assert.Equal(
            "did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V.Ez6LSpSrLxbAhg2SHwKk7kwpsH7DM7QjFS5iK6qP87eViohud.SeyJzIjoiaHR0cHM6Ly9leGFtcGxlLmNvbS9lbmRwb2ludCIsInQiOiJkaWQtY29tbXVuaWNhdGlvbiIsInByaW9yaXR5IjowLCJyZWNpcGllbnRLZXlzIjpbIiNrZXktMSJdLCJyIjpbImRpZDprZXk6ejZNa3BUSFI4Vk5zQnhZQUFXSHV0MkdlYWRkOWpTd3VCVjh4Um9BbndXc2R2a3RII3o2TWtwVEhSOFZOc0J4WUFBV0h1dDJHZWFkZDlqU3d1QlY4eFJvQW53V3Nkdmt0SCJdfQ",
            did);

        var resolved = PeerDid.ResolveNumAlgo2(did);
        Assert.Equal(did, resolved.Id);
        var service = Assert.Single(DidcommServiceResolver.FromDocument(resolved));
        Assert.Equal("https://example.com/endpoint", service.ServiceEndpoint);
        Assert.Equal([Base58Encoding.Encode(Key(KeyQRY))], service.RecipientKeys);
        Assert.Equal(["ByHnpUCFb1vAfh9CFZ8ZkmUZguURW8nSw889hy6rD8L7"], service.RecipientKeys);
        Assert.Equal([Base58Encoding.Encode(Key(KeyPTHR))], service.RoutingKeys);
    }

    [Fact]
    public void Inline_did_key_service_encodes_like_credo_outOfBandServiceToInlineKeysNumAlgo2Did()
    {
        var doc = new DidDocument
        {
            Service =
            [
                new DidCommV1Service("#service-0", "https://example.com/endpoint",
                    [$"did:key:{KeyQRY}#{KeyQRY}"], [$"did:key:{KeyPTHR}#{KeyPTHR}"], 0, ["didcomm/v2", "didcomm/aip2;env=rfc587"]),
            ],
        };
        var did = PeerDid.ToNumAlgo2(doc);
        Assert.Equal(
            "did:peer:2.SeyJzIjoiaHR0cHM6Ly9leGFtcGxlLmNvbS9lbmRwb2ludCIsInQiOiJkaWQtY29tbXVuaWNhdGlvbiIsInByaW9yaXR5IjowLCJyZWNpcGllbnRLZXlzIjpbImRpZDprZXk6ejZNa3FSWXFRaVNndlpRZG5CeXR3ODZRYnMyWldVa0d2MjJvZDkzNVlGNHM4TTdWI3o2TWtxUllxUWlTZ3ZaUWRuQnl0dzg2UWJzMlpXVWtHdjIyb2Q5MzVZRjRzOE03ViJdLCJyIjpbImRpZDprZXk6ejZNa3BUSFI4Vk5zQnhZQUFXSHV0MkdlYWRkOWpTd3VCVjh4Um9BbndXc2R2a3RII3o2TWtwVEhSOFZOc0J4WUFBV0h1dDJHZWFkZDlqU3d1QlY4eFJvQW53V3Nkdmt0SCJdLCJhIjpbImRpZGNvbW0vdjIiLCJkaWRjb21tL2FpcDI7ZW52PXJmYzU4NyJdfQ",
            did);
        var service = Assert.Single(DidcommServiceResolver.Resolve(did));
        Assert.Equal(["ByHnpUCFb1vAfh9CFZ8ZkmUZguURW8nSw889hy6rD8L7"], service.RecipientKeys);
    }

    [Fact]
    public void NumAlgo1_document_from_services_keeps_credo_shape_and_hash()
    {
        var recipient = Ed25519KeyPair.FromSeed(new byte[32]);
        var doc = PeerDid.CreateDocumentFromServices(
        [
            new PeerServiceSpec("#inline-0", "https://mediator.example/", [recipient.GetPublicKeyBytes()], []),
            new PeerServiceSpec("#inline-1", "wss://mediator.example/ws", [recipient.GetPublicKeyBytes()], []),
        ]);
        var did = PeerDid.AssignNumAlgo1(doc);
        var json = doc.ToJson();
        Assert.StartsWith("did:peer:1zQm", did, StringComparison.Ordinal);
        Assert.True(PeerDid.VerifyNumAlgo1(did, json));
        Assert.Equal(["@context", "id", "service", "authentication", "keyAgreement"], json.Select(kv => kv.Key));
        Assert.Equal(
            $$"""{"id":"#inline-0","serviceEndpoint":"https://mediator.example/","type":"did-communication","priority":0,"recipientKeys":["#key-1"],"routingKeys":[]}""",
            json["service"]![0]!.ToJsonString());
        Assert.Equal(1, json["service"]![1]!["priority"]!.GetValue<int>());
        Assert.Equal(
            $$"""{"id":"#key-1","type":"Ed25519VerificationKey2018","controller":"#id","publicKeyBase58":"{{recipient.Verkey}}"}""",
            json["authentication"]![0]!.ToJsonString());
        Assert.Single(json["keyAgreement"]!.AsArray());

        var services = DidcommServiceResolver.Resolve(did, doc);
        Assert.Equal(2, services.Count);
        Assert.All(services, s => Assert.Equal([recipient.Verkey], s.RecipientKeys));
        Assert.Throws<DidException>(() => DidcommServiceResolver.Resolve(did));
    }

    [Fact]
    public void NumAlgo4_encodes_credo_fixture_to_its_long_and_short_form()
    {
        var json = Fixture.Load("didPeer4zQmUJdJ");
        var (longForm, shortForm) = PeerDid.ToNumAlgo4(DidDocument.FromJson(json));
        Assert.Equal(json["id"]!.GetValue<string>(), longForm);
        Assert.Equal(json["alsoKnownAs"]![0]!.GetValue<string>(), shortForm);
        Assert.Equal(shortForm, PeerDid.ShortFormOf(longForm));
    }

    [Fact]
    public void NumAlgo4_resolves_credo_fixture()
    {
        var expected = Fixture.Load("didPeer4zQmd8Cp");
        var doc = PeerDid.ResolveNumAlgo4(expected["id"]!.GetValue<string>());
        Fixture.AssertMatches(expected, doc.ToJson());
    }

    [Fact]
    public void NumAlgo4_service_document_encodes_like_credo_outOfBandServiceToNumAlgo4Did()
    {
        var doc = new DidDocument
        {
            Service =
            [
                new DidCommV1Service("#service-0", "https://example.com/endpoint",
                    [$"did:key:{KeyQRY}#{KeyQRY}"], [$"did:key:{KeyPTHR}#{KeyPTHR}"], 0, ["didcomm/v2", "didcomm/aip2;env=rfc587"]),
            ],
        };
        var (longForm, _) = PeerDid.ToNumAlgo4(doc);
        Assert.Equal(
            "did:peer:4zQmXU3HDFaMvdiuUh7eC2hUzFxZHgaKUJpiCAkSDfRE6qSn:z2gxx5mnuv7Tuc5GxjJ3BgJ69g1ucM27iVW9xYSg9tbBjjGLKsWGSpEwqQPbCdCt4qs1aoB3HSM4eoUQALBvR52hCEq2quLwo5RzuZBjZZmuNf6FXvVCrRLQdMG52QJ285W5MUd3hK9QGCUoCNAHJprhtpvcJpoohcg5otvuHeZiffYDRWrfxKUGS83X4X7Hp2vYqdFPgBQcwoveyJcyYByu7zT3Fn8faMffCE5oP125gwsHxjkquEnCy3RMbf64NVL9bLDDk391k7W4HyScbLyh7ooJcWaDDjiFMtoi1J856cDocYtxZ7rjmWmG15pgTcBLX7o8ebKhWCrFSMWtspRuKs9VFaY366Sjce5ZxTUsBWUMCpWhQZxeZQ2h42UST5XiJJ7TV1E13a3ttWrHijPcHgX1MvvDAPGKVgU2jXSgH8bCL4mKuVjdEm4Kx5wMdDW88ougUFuLfwhXkDfP7sYAfuaCFWx286kWqkfYdopcGntPjCvDu6uonghRmxeC2qNfXkYmk3ZQJXzsxgQToixevEvfxQgFY1uuNo5288zJPQcfLHtTvgxEhHxD5wwYYeGFqgV6FTg9mZVU5xqg7w6456cLuZNPuARkfpZK78xMEUHtnr95tK91UY",
            longForm);
        var resolved = PeerDid.ResolveNumAlgo4(longForm);
        Assert.Equal(longForm, resolved.Id);
        var service = Assert.Single(DidcommServiceResolver.FromDocument(resolved));
        Assert.Equal(["ByHnpUCFb1vAfh9CFZ8ZkmUZguURW8nSw889hy6rD8L7"], service.RecipientKeys);
    }

    [Theory]
    [InlineData("did:peer:2.Vz6Mk!!!")]
    [InlineData("did:peer:2.Xz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V")]
    [InlineData("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V.S")]
    [InlineData("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V.Sbm90anNvbg")]
    [InlineData("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V.SeyJ4IjoxfQ")]
    [InlineData("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V.SWzFd")]
    [InlineData("did:peer:2.Vz3MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V")]
    [InlineData("did:peer:2.Vz11111111")]
    [InlineData("did:peer:2")]
    public void Malformed_numalgo2_is_rejected(string did) =>
        Assert.Throws<DidException>(() => PeerDid.ResolveNumAlgo2(did));

    [Fact]
    public void Tampered_or_short_numalgo4_is_rejected()
    {
        var json = Fixture.Load("didPeer4zQmUJdJ");
        var longForm = json["id"]!.GetValue<string>();
        var tampered = longForm[..^3] + (longForm[^3] == 'a' ? 'b' : 'a') + longForm[^2..];
        Assert.Contains("Hash is invalid", Assert.Throws<DidException>(() => PeerDid.ResolveNumAlgo4(tampered)).Message, StringComparison.Ordinal);
        Assert.Contains("short-form", Assert.Throws<DidException>(() => PeerDid.ResolveNumAlgo4(PeerDid.ShortFormOf(longForm)!)).Message, StringComparison.Ordinal);
        Assert.Throws<DidException>(() => PeerDid.ResolveNumAlgo4("did:peer:4zQm:zabc"));
        Assert.Throws<DidException>(() => DidcommServiceResolver.Resolve(PeerDid.ShortFormOf(longForm)!));
    }

    [Theory]
    [InlineData("did:peer:3zQmabc")]
    [InlineData("did:web:example.com")]
    [InlineData("did:peer:")]
    [InlineData("Q4zqM7aXqm7gDQkUVLng9h")]
    public void Unresolvable_dids_give_a_did_exception(string did) =>
        Assert.Throws<DidException>(() => DidcommServiceResolver.Resolve(did));

    [Fact]
    public void NumAlgo2_encoding_requires_key_n_ids()
    {
        var key = Ed25519KeyPair.FromSeed(new byte[32]);
        var doc = new DidDocument { Authentication = [VerificationMethod.Ed25519("#abc", "#id", key.PublicKey)] };
        Assert.Contains("#key-n", Assert.Throws<DidException>(() => PeerDid.ToNumAlgo2(doc)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Did_key_resolves_to_its_ed25519_key()
    {
        var did = $"did:key:{KeyQRY}";
        var doc = DidcommServiceResolver.ResolveDocument(did);
        Assert.Equal("ByHnpUCFb1vAfh9CFZ8ZkmUZguURW8nSw889hy6rD8L7", doc.ResolveKey($"{did}#{KeyQRY}").ToBase58());
        Assert.Equal(DidKeyType.X25519, doc.KeyAgreement![0].Embedded!.GetPublicKey().KeyType);
        Assert.Empty(DidcommServiceResolver.Resolve(did));
    }
}
