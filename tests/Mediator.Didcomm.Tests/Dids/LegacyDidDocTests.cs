using System.Text.Json.Nodes;
using Mediator.Didcomm.Dids;

namespace Mediator.Didcomm.Tests.Dids;

public class LegacyDidDocTests
{
    [Fact]
    public void Credo_request_diddoc_converts_to_the_did_peer_1_credo_computes()
    {
        // ConnectionService.test.ts (processRequest): this DIDDoc gives theirDid did:peer:1zQmW2esSy...
        var json = JsonNode.Parse("""
            {"@context":"https://w3id.org/did/v1","publicKey":[],
             "service":[{"id":"their-did;indy","serviceEndpoint":"https://endpoint.com","type":"did-communication","priority":0,"recipientKeys":["their-did#key-id"]}],
             "authentication":[{"id":"their-did#key-id","controller":"their-did","type":"Ed25519VerificationKey2018","publicKeyBase58":"79CXkde3j8TNuMXxPdV7nLUrT2g7JAEjH5TreyVY7GEZ"}],
             "id":"their-did"}
            """);
        var legacy = LegacyDidDoc.FromJson(json);
        Assert.True(legacy.Authentication[0].Embedded);
        var doc = legacy.ToDidDocument();
        Assert.Equal("did:peer:1zQmW2esSyEVGzrh3CFt1eQZUHEAb3Li1hyPudPhSoFevrFY", doc.Id);

        var service = Assert.Single(DidcommServiceResolver.FromDocument(doc));
        Assert.Equal("#indy", service.Id);
        Assert.Equal(["79CXkde3j8TNuMXxPdV7nLUrT2g7JAEjH5TreyVY7GEZ"], service.RecipientKeys);
        Assert.Equal(service.RecipientKeys, Assert.Single(DidcommServiceResolver.FromLegacyDidDoc(legacy)).RecipientKeys);
    }

    [Fact]
    public void Conversion_maps_keys_and_services_like_credo_convertToNewDidDocument()
    {
        // helpers.test.ts (convertToNewDidDocument).
        var json = JsonNode.Parse("""
            {"@context":"https://w3id.org/did/v1","id":"did:sov:LjgpST2rjsoxYegQDRm7EL",
             "publicKey":[
               {"id":"did:sov:SKJVx2kn373FNgvff1SbJo#4","controller":"did:sov:SKJVx2kn373FNgvff1SbJo","type":"Ed25519VerificationKey2018","publicKeyBase58":"EoGusetSxDJktp493VCyh981nUnzMamTRjvBaHZAy68d"},
               {"id":"#3","controller":"did:sov:LjgpST2rjsoxYegQDRm7EL","type":"RsaVerificationKey2018","publicKeyPem":"-----BEGIN PUBLIC X..."},
               {"id":"#6","controller":"did:sov:LjgpST2rjsoxYegQDRm7EL","type":"Secp256k1VerificationKey2018","publicKeyHex":"-----BEGIN PUBLIC A..."}],
             "service":[
               {"id":"did:sov:SKJVx2kn373FNgvff1SbJo#service-1","serviceEndpoint":"did:sov:SKJVx2kn373FNgvff1SbJo","type":"IndyAgent","priority":5,"recipientKeys":["EoGusetSxDJktp493VCyh981nUnzMamTRjvBaHZAy68d"],"routingKeys":["EoGusetSxDJktp493VCyh981nUnzMamTRjvBaHZAy68d"]},
               {"id":"#service-2","serviceEndpoint":"https://agent.com","type":"did-communication","priority":2,"recipientKeys":["did:sov:SKJVx2kn373FNgvff1SbJo#4","#8"],"routingKeys":["did:key:z6MktFXxTu8tHkoE1Jtqj4ApYEg1c44qmU1p7kq7QZXBtJv1#z6MktFXxTu8tHkoE1Jtqj4ApYEg1c44qmU1p7kq7QZXBtJv1"]}],
             "authentication":[
               {"publicKey":"did:sov:SKJVx2kn373FNgvff1SbJo#4","type":"Ed25519SignatureAuthentication2018"},
               {"id":"#8","controller":"did:sov:SKJVx2kn373FNgvff1SbJo","type":"Ed25519VerificationKey2018","publicKeyBase58":"5UQ3drtEMMQXaLLmEywbciW92jZaQgRYgfuzXfonV8iz"}]}
            """);
        var doc = LegacyDidDoc.FromJson(json).ToDidDocument();
        Assert.Equal(["#EoGusetS", "#5UQ3drtE"], doc.Authentication!.Select(a => a.Reference));
        Assert.Equal(["#5UQ3drtE", "#EoGusetS"], doc.VerificationMethod!.Select(v => v.Id));
        Assert.All(doc.VerificationMethod!, v => Assert.Equal("#id", v.Controller));
        Assert.Equal(["#service-1", "#service-2"], doc.Service!.Select(s => s.Id));
        var v1 = Assert.IsType<DidCommV1Service>(doc.Service![1]);
        Assert.Equal(["#EoGusetS", "#5UQ3drtE"], v1.RecipientKeys);
        Assert.Equal(2, v1.Priority);

        var resolved = DidcommServiceResolver.FromDocument(doc);
        Assert.Equal("https://agent.com", resolved[0].ServiceEndpoint); // priority 2 before 5
        Assert.Equal(["EoGusetSxDJktp493VCyh981nUnzMamTRjvBaHZAy68d", "5UQ3drtEMMQXaLLmEywbciW92jZaQgRYgfuzXfonV8iz"], resolved[0].RecipientKeys);
        Assert.Single(resolved[0].RoutingKeys);
    }

    [Theory]
    [InlineData("did:sov:SKJVx2kn373FNgvff1SbJo;service-1", "#service-1")]
    [InlineData("did:sov:SKJVx2kn373FNgvff1SbJo;service-1;something-extra", "#service-1;something-extra")]
    [InlineData("did:sov:SKJVx2kn373FNgvff1SbJo#service-2#something-extra", "#service-2#something-extra")]
    [InlineData("1", "#1")]
    public void Ids_are_normalised_like_credo(string id, string expected) => Assert.Equal(expected, LegacyDidDoc.NormalizeId(id));

    [Fact]
    public void Created_diddoc_has_credo_shape_and_round_trips()
    {
        var key = Mediator.Didcomm.Keys.Ed25519KeyPair.FromSeed(new byte[32]);
        var routing = Mediator.Didcomm.Keys.Ed25519KeyPair.FromSeed(Enumerable.Repeat((byte)1, 32).ToArray());
        var legacy = LegacyDidDoc.Create(key.Verkey, ["https://mediator.example/", "wss://mediator.example/ws"], [routing.Verkey]);
        var did = IndyDid.FromVerkey(key.Verkey);
        Assert.Equal(did, legacy.Id);
        Assert.InRange(did.Length, 21, 23);
        var json = legacy.ToJson();
        Assert.Equal(["@context", "publicKey", "service", "authentication", "id"], json.Select(kv => kv.Key));
        Assert.Equal($$"""{"id":"{{did}}#1","controller":"{{did}}","type":"Ed25519VerificationKey2018","publicKeyBase58":"{{key.Verkey}}"}""", json["publicKey"]![0]!.ToJsonString());
        Assert.Equal($$"""{"publicKey":"{{did}}#1","type":"Ed25519SignatureAuthentication2018"}""", json["authentication"]![0]!.ToJsonString());
        Assert.Equal($$"""{"id":"{{did}}#IndyAgentService-2","serviceEndpoint":"wss://mediator.example/ws","type":"IndyAgent","priority":1,"recipientKeys":["{{key.Verkey}}"],"routingKeys":["{{routing.Verkey}}"]}""", json["service"]![1]!.ToJsonString());

        var connection = new ConnectionObject(did, legacy).ToJson();
        var back = ConnectionObject.FromJson(JsonNode.Parse(connection.ToJsonString()));
        Assert.Equal(did, back.Did);
        Assert.True(JsonNode.DeepEquals(json, back.DidDoc!.ToJson()));

        var services = DidcommServiceResolver.FromLegacyDidDoc(back.DidDoc!);
        Assert.Equal(["https://mediator.example/", "wss://mediator.example/ws"], services.Select(s => s.ServiceEndpoint));
        Assert.All(services, s => Assert.Equal([key.Verkey], s.RecipientKeys));
        Assert.All(services, s => Assert.Equal([routing.Verkey], s.RoutingKeys));
    }

    [Fact]
    public void Credo_test_diddoc_with_rsa_and_other_services_parses()
    {
        var json = JsonNode.Parse("""
            {"@context":"https://w3id.org/did/v1","id":"did:sov:LjgpST2rjsoxYegQDRm7EL",
             "publicKey":[{"id":"#3","type":"RsaVerificationKey2018","controller":"did:sov:LjgpST2rjsoxYegQDRm7EL","publicKeyPem":"-----BEGIN PUBLIC X..."}],
             "service":[{"id":"0","type":"Mediator","serviceEndpoint":"did:sov:Q4zqM7aXqm7gDQkUVLng9h"},
                        {"id":"#7","type":"did-communication","serviceEndpoint":"https://agent.com/did-comm","recipientKeys":["DADEajsDSaksLng9h"],"routingKeys":["DADEajsDSaksLng9h"],"priority":10}],
             "authentication":[{"type":"RsaSignatureAuthentication2018","publicKey":"#3"}]}
            """)!;
        var legacy = LegacyDidDoc.FromJson(json);
        Assert.Equal("publicKeyPem", legacy.PublicKey[0].ValueField);
        Assert.IsType<OtherService>(legacy.Service[0]);
        Assert.Single(legacy.DidcommServices);
        Assert.True(JsonNode.DeepEquals(json["service"]![0], legacy.ToJson()["service"]![0]));
        // "DADEajsDSaksLng9h" is no 32-byte key: resolving it is a clear DidException.
        Assert.Throws<DidException>(() => DidcommServiceResolver.FromLegacyDidDoc(legacy));
    }

    [Theory]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{\"publicKey\":[]}", "DIDDoc.id")]
    [InlineData("{\"id\":\"x\",\"publicKey\":{}}", "DIDDoc.publicKey")]
    [InlineData("{\"id\":\"x\",\"publicKey\":[{\"id\":\"k\"}]}", "DIDDoc.publicKey[0].type")]
    [InlineData("{\"id\":\"x\",\"authentication\":[{\"publicKey\":\"#missing\",\"type\":\"Ed25519SignatureAuthentication2018\"}]}", "#missing")]
    [InlineData("{\"id\":\"x\",\"service\":[{\"id\":\"s\",\"type\":\"IndyAgent\",\"serviceEndpoint\":\"https://x\"}]}", "recipientKeys")]
    [InlineData("{\"id\":\"x\",\"service\":[{\"id\":\"s\",\"type\":\"IndyAgent\",\"serviceEndpoint\":5,\"recipientKeys\":[]}]}", "serviceEndpoint")]
    [InlineData("{\"id\":\"x\",\"service\":[7]}", "DIDDoc.service[0]")]
    public void Malformed_diddocs_are_rejected_with_the_reason(string json, string reasonPart)
    {
        var e = Assert.Throws<DidException>(() => LegacyDidDoc.FromJson(JsonNode.Parse(json)));
        Assert.Contains(reasonPart, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"str\"", "must be a JSON object")]
    [InlineData("{\"DIDDoc\":{}}", "connection.DID")]
    [InlineData("{\"DID\":1}", "connection.DID")]
    public void Malformed_connection_objects_are_rejected(string json, string reasonPart)
    {
        var e = Assert.Throws<DidException>(() => ConnectionObject.FromJson(JsonNode.Parse(json)));
        Assert.Contains(reasonPart, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5", "must be a JSON object")]
    [InlineData("{\"@context\":5}", "@context")]
    [InlineData("{\"authentication\":[5]}", "authentication[0]")]
    [InlineData("{\"authentication\":[{\"id\":\"#k\"}]}", "authentication[0].type")]
    [InlineData("{\"verificationMethod\":[\"#k\"]}", "verificationMethod[0]")]
    [InlineData("{\"service\":[{\"type\":\"did-communication\"}]}", "service[0].id")]
    [InlineData("{\"service\":[{\"id\":\"s\",\"type\":\"did-communication\",\"serviceEndpoint\":\"x\",\"recipientKeys\":[1]}]}", "service[0].recipientKeys[0]")]
    [InlineData("{\"alsoKnownAs\":\"x\"}", "alsoKnownAs")]
    public void Malformed_did_documents_are_rejected_with_the_field(string json, string reasonPart)
    {
        var e = Assert.Throws<DidException>(() => DidDocument.FromJson(JsonNode.Parse(json)));
        Assert.Contains(reasonPart, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unresolvable_key_references_are_did_exceptions()
    {
        var doc = DidDocument.FromJson(JsonNode.Parse("""
            {"id":"did:peer:1zQmabc","service":[{"id":"#s","type":"did-communication","serviceEndpoint":"https://x","recipientKeys":["#nokey"]}],
             "authentication":[{"id":"#k","type":"Ed25519VerificationKey2018","publicKeyBase58":"notbase58!"}]}
            """));
        Assert.Contains("#nokey", Assert.Throws<DidException>(() => DidcommServiceResolver.FromDocument(doc)).Message, StringComparison.Ordinal);
        Assert.Throws<DidException>(() => doc.ResolveKey("#k"));
        Assert.Throws<DidException>(() => doc.ResolveKey("did:key:z6Mkbad"));
    }
}
