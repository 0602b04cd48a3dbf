using System.Text;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;

namespace Mediator.Didcomm.Tests.Signatures;

public class SignatureTests
{
    // The data Credo's JwsService and SignatureDecoratorUtils tests sign (key order as there).
    private const string DataJson = """{"did":"did","did_doc":{"@context":"https://w3id.org/did/v1","service":[{"id":"did:example:123456789abcdefghi#did-communication","type":"did-communication","priority":0,"recipientKeys":["someVerkey"],"routingKeys":[],"serviceEndpoint":"https://agent.example.com/"}]}}""";

    private static Ed25519KeyPair SeedKey(string seed) => Ed25519KeyPair.FromSeed(Encoding.ASCII.GetBytes(seed));

    [Fact]
    public void Signature_decorator_matches_credo_test_vector()
    {
        var key = SeedKey("00000000000000000000000000000My1");
        Assert.Equal("GjZWsBLgZCR18aL468JAT7w9CZRiBnpxUPPgyQxh4voa", key.Verkey);
        var sig = SignatureDecorator.Sign(JsonNode.Parse(DataJson)!, key, DateTimeOffset.UnixEpoch);
        Assert.Equal("https://didcomm.org/signature/1.0/ed25519Sha512_single", sig.Type);
        Assert.Equal("GjZWsBLgZCR18aL468JAT7w9CZRiBnpxUPPgyQxh4voa", sig.Signer);
        Assert.Equal("AAAAAAAAAAB7ImRpZCI6ImRpZCIsImRpZF9kb2MiOnsiQGNvbnRleHQiOiJodHRwczovL3czaWQub3JnL2RpZC92MSIsInNlcnZpY2UiOlt7ImlkIjoiZGlkOmV4YW1wbGU6MTIzNDU2Nzg5YWJjZGVmZ2hpI2RpZC1jb21tdW5pY2F0aW9uIiwidHlwZSI6ImRpZC1jb21tdW5pY2F0aW9uIiwicHJpb3JpdHkiOjAsInJlY2lwaWVudEtleXMiOlsic29tZVZlcmtleSJdLCJyb3V0aW5nS2V5cyI6W10sInNlcnZpY2VFbmRwb2ludCI6Imh0dHBzOi8vYWdlbnQuZXhhbXBsZS5jb20vIn1dfX0", sig.SignatureData);
        Assert.Equal("zOSmKNCHKqOJGDJ6OlfUXTPJiirEAXrFn1kPiFDZfvG5hNTBKhsSzqAvlg44apgWBu7O57vGWZsXBF2BWZ5JAw", sig.Signature);
        Assert.Equal("""{"@type":"https://didcomm.org/signature/1.0/ed25519Sha512_single","sig_data":"AAAAAAAAAAB7ImRpZCI6ImRpZCIsImRpZF9kb2MiOnsiQGNvbnRleHQiOiJodHRwczovL3czaWQub3JnL2RpZC92MSIsInNlcnZpY2UiOlt7ImlkIjoiZGlkOmV4YW1wbGU6MTIzNDU2Nzg5YWJjZGVmZ2hpI2RpZC1jb21tdW5pY2F0aW9uIiwidHlwZSI6ImRpZC1jb21tdW5pY2F0aW9uIiwicHJpb3JpdHkiOjAsInJlY2lwaWVudEtleXMiOlsic29tZVZlcmtleSJdLCJyb3V0aW5nS2V5cyI6W10sInNlcnZpY2VFbmRwb2ludCI6Imh0dHBzOi8vYWdlbnQuZXhhbXBsZS5jb20vIn1dfX0","signer":"GjZWsBLgZCR18aL468JAT7w9CZRiBnpxUPPgyQxh4voa","signature":"zOSmKNCHKqOJGDJ6OlfUXTPJiirEAXrFn1kPiFDZfvG5hNTBKhsSzqAvlg44apgWBu7O57vGWZsXBF2BWZ5JAw"}""",
            sig.ToJson().ToJsonString());

        var verified = SignatureDecorator.FromJson(sig.ToJson()).Verify();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(DataJson), verified.Data));
        Assert.Equal(DateTimeOffset.UnixEpoch, verified.SignedAt);
    }

    [Fact]
    public void Signature_decorator_rejects_credo_wrong_signature_vector()
    {
        var key = SeedKey("00000000000000000000000000000My1");
        var good = SignatureDecorator.Sign(JsonNode.Parse(DataJson)!, key, DateTimeOffset.UnixEpoch);
        var wrong = good with { Signature = "6sblL1+OMlTFB3KhIQ8HKKZga8te7NAJAmBVPg2WzNYjMHVjfm+LJP6ZS1GUc2FRtfczRyLEfXrXb86SnzBmBA==" };
        Assert.Equal("Signature is not valid", Assert.Throws<SignatureException>(() => wrong.Verify()).Message);
    }

    [Fact]
    public void Connection_signature_round_trips_with_timestamp_and_legacy_type()
    {
        var key = Ed25519KeyPair.Generate();
        var legacy = LegacyDidDoc.Create(key.Verkey, ["https://mediator.example/"]);
        var connection = new ConnectionObject(legacy.Id, legacy).ToJson();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var sig = SignatureDecorator.Sign(connection, key, at);
        var verified = sig.Verify();
        Assert.Equal(at, verified.SignedAt);
        Assert.Equal(key.Verkey, verified.SignerVerkey);
        var back = ConnectionObject.FromJson(verified.Data);
        Assert.Equal(legacy.Id, back.Did);

        var legacyType = sig with { Type = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/signature/1.0/ed25519Sha512_single" };
        Assert.Equal(key.Verkey, legacyType.Verify().SignerVerkey);
    }

    [Fact]
    public void Signature_decorator_rejects_tampering_and_malformed_fields()
    {
        var key = Ed25519KeyPair.Generate();
        var sig = SignatureDecorator.Sign(JsonNode.Parse("""{"DID":"abc"}""")!, key);
        Base64UrlEncoding.TryDecodeIgnoringTrailingBits(sig.SignatureData, out var data);
        data[^2] ^= 1;
        Assert.Throws<SignatureException>(() => (sig with { SignatureData = Base64UrlEncoding.Encode(data) }).Verify());
        Assert.Throws<SignatureException>(() => (sig with { Signer = Ed25519KeyPair.Generate().Verkey }).Verify());
        Assert.Contains("type", Assert.Throws<SignatureException>(() => (sig with { Type = "https://didcomm.org/signature/1.0/other" }).Verify()).Message, StringComparison.Ordinal);
        Assert.Contains("signer", Assert.Throws<SignatureException>(() => (sig with { Signer = "not-base58!" }).Verify()).Message, StringComparison.Ordinal);
        Assert.Contains("sig_data", Assert.Throws<SignatureException>(() => (sig with { SignatureData = "@@@" }).Verify()).Message, StringComparison.Ordinal);
        Assert.Contains("signature", Assert.Throws<SignatureException>(() => (sig with { Signature = "AAAA" }).Verify()).Message, StringComparison.Ordinal);

        var shortData = new byte[4];
        var shortSig = new SignatureDecorator(SignatureDecorator.Ed25519Sha512SingleType, Base64UrlEncoding.Encode(shortData), key.Verkey, Base64UrlEncoding.Encode(key.Sign(shortData)));
        Assert.Contains("shorter", Assert.Throws<SignatureException>(() => shortSig.Verify()).Message, StringComparison.Ordinal);

        var notJson = new byte[8 + 3];
        "abc"u8.CopyTo(notJson.AsSpan(8));
        var notJsonSig = new SignatureDecorator(SignatureDecorator.Ed25519Sha512SingleType, Base64UrlEncoding.Encode(notJson), key.Verkey, Base64UrlEncoding.Encode(key.Sign(notJson)));
        Assert.Contains("not JSON", Assert.Throws<SignatureException>(() => notJsonSig.Verify()).Message, StringComparison.Ordinal);

        Assert.Throws<SignatureException>(() => SignatureDecorator.FromJson(JsonNode.Parse("[]")));
        Assert.Contains("sig_data", Assert.Throws<SignatureException>(() => SignatureDecorator.FromJson(JsonNode.Parse("""{"@type":"x","signer":"y","signature":"z"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("signer", Assert.Throws<SignatureException>(() => SignatureDecorator.FromJson(JsonNode.Parse("""{"@type":"x","sig_data":"y","signer":5,"signature":"z"}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jws_matches_credo_test_vector()
    {
        var key = SeedKey("00000000000000000000000000000My2");
        Assert.Equal("kqa2HyagzfMAq42H5f9u3UMwnSBPQx2QfrSyXbUPxMn", key.Verkey);
        var jws = AttachmentJws.CreateJws(key, Base64UrlEncoding.Encode(Encoding.UTF8.GetBytes(DataJson)));
        Assert.Equal("eyJhbGciOiJFZERTQSIsImp3ayI6eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6IkN6cmtiNjQ1MzdrVUVGRkN5SXI4STgxUWJJRGk2MnNrbU41Rm41LU1zVkUifX0", jws["protected"]!.GetValue<string>());
        Assert.Equal("OsDP4FM8792J9JlessA9IXv4YUYjIGcIAnPPrEJmgxYomMwDoH-h2DMAF5YF2VtsHHyhGN_0HryDjWSEAZdYBQ", jws["signature"]!.GetValue<string>());
        Assert.Equal("did:key:z6MkfD6ccYE22Y9pHKtixeczk92MmMi2oJCP6gmNooZVKB9A", jws["header"]!["kid"]!.GetValue<string>());
        Assert.Equal(["protected", "signature", "header"], jws.Select(kv => kv.Key));

        // The same JWS, detached into a Credo-style attachment, verifies.
        var signed = AttachmentJws.SignJson(JsonNode.Parse(DataJson)!, [key]);
        Assert.Equal("application/json", signed.MimeType);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(DataJson)), signed.Data.Base64);
        Assert.True(JsonNode.DeepEquals(jws, signed.Data.Jws));
        var verified = AttachmentJws.Verify(signed);
        Assert.Equal([key.Verkey], verified.SignerVerkeys);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(DataJson), verified.GetJson()));
    }

    [Fact]
    public void Did_doc_attach_round_trips_through_a_message_with_several_signers()
    {
        var a = Ed25519KeyPair.Generate();
        var b = Ed25519KeyPair.Generate();
        var doc = PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#inline-0", "https://mediator.example/", [a.GetPublicKeyBytes()], [])]);
        var did = PeerDid.AssignNumAlgo1(doc);
        var message = new MessageBuilder("https://didcomm.org/didexchange/1.1/response")
            .WithThread("request-thread-1")
            .With("did", did)
            .WithAttachment("did_doc~attach", AttachmentJws.SignJson(doc.ToJson(), [a, b]))
            .ToUtf8Bytes();

        var parsed = DidcommMessage.Parse(message);
        var verified = AttachmentJws.Verify(parsed.GetAttachment("did_doc~attach")!);
        Assert.Equal([a.Verkey, b.Verkey], verified.SignerVerkeys);
        var received = (JsonObject)verified.GetJson();
        Assert.True(PeerDid.VerifyNumAlgo1(parsed.GetRequiredString("did"), received));
        var service = Assert.Single(DidcommServiceResolver.Resolve(did, DidDocument.FromJson(received)));
        Assert.Equal([a.Verkey], service.RecipientKeys);
    }

    [Fact]
    public void Did_rotate_attach_signs_the_did_string_in_base64url()
    {
        var key = Ed25519KeyPair.Generate();
        const string did = "did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V";
        var attach = AttachmentJws.SignString(did, [key]);
        Assert.Null(attach.MimeType);
        Assert.DoesNotContain('=', attach.Data.Base64!);
        Assert.Equal(did, attach.Data.GetBase64Text());
        Assert.Equal(did, AttachmentJws.Verify(attach).GetText());
    }

    [Fact]
    public void Jws_verification_rejects_tampering_and_malformed_parts()
    {
        var key = Ed25519KeyPair.Generate();
        var other = Ed25519KeyPair.Generate();
        var good = AttachmentJws.SignJson(JsonNode.Parse("""{"id":"x"}""")!, [key]);
        Attachment With(AttachmentData data) => new(good.Id, data);
        AttachmentData Data(string? base64, JsonObject? jws) => new() { Base64 = base64, Jws = jws };
        JsonObject Jws(Action<JsonObject> change)
        {
            var j = (JsonObject)good.Data.Jws!.DeepClone();
            change(j);
            return j;
        }

        string Reason(Attachment a) => Assert.Throws<SignatureException>(() => AttachmentJws.Verify(a)).Message;

        Assert.Contains("not signed", Reason(With(Data(good.Data.Base64, null))), StringComparison.Ordinal);
        Assert.Contains("no data.base64", Reason(With(Data(null, good.Data.Jws))), StringComparison.Ordinal);
        Assert.Contains("not base64", Reason(With(Data("***", good.Data.Jws))), StringComparison.Ordinal);
        Assert.Contains("does not verify", Reason(With(Data(Base64UrlEncoding.EncodeStandard("""{"id":"y"}"""u8), good.Data.Jws))), StringComparison.Ordinal);
        Assert.Contains("different keys", Reason(With(Data(good.Data.Base64, Jws(j => j["header"]!["kid"] = other.DidKey)))), StringComparison.Ordinal);
        Assert.Contains("does not verify", Reason(With(Data(good.Data.Base64, Jws(j => j["signature"] = Base64UrlEncoding.Encode(other.Sign("x"u8)))))), StringComparison.Ordinal);
        Assert.Contains("signature", Reason(With(Data(good.Data.Base64, Jws(j => j["signature"] = "AAAA")))), StringComparison.Ordinal);
        Assert.Contains("no signature", Reason(With(Data(good.Data.Base64, Jws(j => j.Remove("signature"))))), StringComparison.Ordinal);
        Assert.Contains("no protected", Reason(With(Data(good.Data.Base64, Jws(j => j.Remove("protected"))))), StringComparison.Ordinal);
        Assert.Contains("not JSON", Reason(With(Data(good.Data.Base64, Jws(j => j["protected"] = Base64UrlEncoding.Encode("nope"u8))))), StringComparison.Ordinal);
        Assert.Contains("alg", Reason(With(Data(good.Data.Base64, Jws(j => j["protected"] = Base64UrlEncoding.Encode("""{"alg":"ES256"}"""u8))))), StringComparison.Ordinal);
        Assert.Contains("JWK", Reason(With(Data(good.Data.Base64, Jws(j => j["protected"] = Base64UrlEncoding.Encode("""{"alg":"EdDSA","jwk":{"kty":"EC","crv":"P-256","x":"AA"}}"""u8))))), StringComparison.Ordinal);
        Assert.Contains("did:key", Reason(With(Data(good.Data.Base64, Jws(j => j["header"]!["kid"] = "did:key:z6Mkbad")))), StringComparison.Ordinal);
        Assert.Contains("signatures", Reason(With(Data(good.Data.Base64, new JsonObject { ["signatures"] = new JsonArray() }))), StringComparison.Ordinal);
        Assert.Contains("Malformed JWS", Reason(With(Data(good.Data.Base64, Jws(j => j["header"] = "x")))), StringComparison.Ordinal);

        // Key only in the header kid (no protected jwk) is accepted, as Credo's jwkResolver does.
        var protectedKidOnly = Base64UrlEncoding.Encode("""{"alg":"EdDSA"}"""u8);
        var payloadUrl = Base64UrlEncoding.ToUrlText(good.Data.Base64!);
        var kidOnly = new JsonObject
        {
            ["protected"] = protectedKidOnly,
            ["signature"] = Base64UrlEncoding.Encode(key.Sign(Encoding.ASCII.GetBytes($"{protectedKidOnly}.{payloadUrl}"))),
            ["header"] = new JsonObject { ["kid"] = key.DidKey },
        };
        Assert.Equal([key.Verkey], AttachmentJws.Verify(With(Data(good.Data.Base64, kidOnly))).SignerVerkeys);
        kidOnly.Remove("header");
        Assert.Contains("names no key", Reason(With(Data(good.Data.Base64, kidOnly))), StringComparison.Ordinal);
    }
}
