using System.Text;
using System.Text.Json;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Tests.Envelopes;

/// <summary>
/// Envelopes that a real Credo 0.5 agent (askar wallet) produced, with the recipient's private key: the test vectors
/// of credo-ts' "Askar KMS | DIDComm Credo 0.5 Interop" test (packages/askar/tests). Askar itself cannot be installed
/// here; these prove byte compatibility with what it wrote.
/// </summary>
public class CredoAskarVectorTests
{
    private const string RecipientSeedHex = "226e10dad834f65c4e2b4bed1c29db06908f225eaa27ca7ebe2b74258fd6f1eb";
    private const string RecipientVerkey = "BTfNVH1CK5G7oGFdpnAER3Zi4swrksbuEk1f3WMUxqhf";
    private const string SenderPublicKeyBase64Url = "R0s2NusuG1Yth0izz5kNzd1_-vLb4m5sUoSUBVDOOcY";

    private const string AuthcryptEnvelope = """
        {"protected":"eyJlbmMiOiJ4Y2hhY2hhMjBwb2x5MTMwNV9pZXRmIiwidHlwIjoiSldNLzEuMCIsImFsZyI6IkF1dGhjcnlwdCIsInJlY2lwaWVudHMiOlt7ImVuY3J5cHRlZF9rZXkiOiJfWm5YYkdYLVFwTG8xVEllY1BnbDFFZUhiZEpyMUMteWNvc25fWWVDZm9BeUlzUVk4UmFBTG1IMFZlcEhQcnMwIiwiaGVhZGVyIjp7ImtpZCI6IkJUZk5WSDFDSzVHN29HRmRwbkFFUjNaaTRzd3Jrc2J1RWsxZjNXTVV4cWhmIiwic2VuZGVyIjoiWjBBZXZVYkRsand4YzJsdVhpYWI5M1Z2OUw1YzBGdm4tV3ljaUpHc0RYcWlobVdtTEg1R1JtQjVaN2FTRVNfQXFsMDByUllQMDRkaWg1YjVSTG9ydEg1N2JUSER3QnhGallZTElMSE9ValI4NUZJeHdsSnNhM1NKUXY0IiwiaXYiOiJjYjJlaDdYRHdFSVU0WFNrWDduOFl6cVVNSXRMUWlUbyJ9fV19",
         "ciphertext":"ZN9MbaJYFEIcIsjS7RJL0-J8QvuJCRgfUyunQPlN2FTa88HfCFyJfwCWeN1RbZs","iv":"t2rSkBzjq8uu7-ji","tag":"bOflaQwnOsUngIeoh9adww"}
        """;

    private const string AnoncryptEnvelope = """
        {"protected":"eyJlbmMiOiJ4Y2hhY2hhMjBwb2x5MTMwNV9pZXRmIiwidHlwIjoiSldNLzEuMCIsImFsZyI6IkFub25jcnlwdCIsInJlY2lwaWVudHMiOlt7ImVuY3J5cHRlZF9rZXkiOiJZME9uTUNGZ2VIQUpEV1Y4NkVhWEpQWXN5RUVlWXVfZVNQX2ltX3VDMUFkYkpRalI4RkRTUFZxd1RrUU5GcDc1X2RwemZpX2pqcGlUVTZhQ2VobThTdzMwS3B5bmJHemNROWdsUnFxY1NnQSIsImhlYWRlciI6eyJraWQiOiJCVGZOVkgxQ0s1RzdvR0ZkcG5BRVIzWmk0c3dya3NidUVrMWYzV01VeHFoZiJ9fV19",
         "ciphertext":"GTzzcCSkcofiC2dH2LRChTxikb9Nn8ZAesGY6iJWzeLNQea5SgEqM0zw-cwVSbFlPSq5_w","iv":"EF6uHk2lUSoayxV7","tag":"op_xOrKdtJVhCa0u1hBJ7A"}
        """;

    private static readonly Ed25519KeyPair Recipient = Ed25519KeyPair.FromSeed(Convert.FromHexString(RecipientSeedHex));

    [Fact]
    public void The_seed_gives_the_verkey_Credo_used()
    {
        Assert.Equal(RecipientVerkey, Recipient.Verkey);
    }

    [Fact]
    public void Unpacks_a_Credo_0_5_authcrypt_envelope()
    {
        var unpacked = EnvelopeUnpacker.Unpack(Encoding.UTF8.GetBytes(AuthcryptEnvelope), Recipient);

        Assert.Equal(EnvelopeAlgorithm.Authcrypt, unpacked.Algorithm);
        Assert.Equal("https://didcomm.org/connections/1.0", TypeOf(unpacked));
        Assert.Equal(RecipientVerkey, unpacked.RecipientVerkey);
        Assert.Equal(Base58Encoding.Encode(Base64UrlEncoding.Decode(SenderPublicKeyBase64Url)), unpacked.SenderVerkey);
    }

    [Fact]
    public void Unpacks_a_Credo_0_5_anoncrypt_envelope()
    {
        var unpacked = EnvelopeUnpacker.Unpack(Encoding.UTF8.GetBytes(AnoncryptEnvelope), Recipient);

        Assert.Equal(EnvelopeAlgorithm.Anoncrypt, unpacked.Algorithm);
        Assert.Equal("https://didcomm.org/another-protocol/1.0", TypeOf(unpacked));
        Assert.Null(unpacked.SenderVerkey);
    }

    [Fact]
    public void Our_envelopes_have_the_same_shape_as_Credo_0_5s()
    {
        // The sender field seals the sender's base58 verkey, whose length (43 or 44 characters) depends on the key: the
        // sender here is the first of a fixed series of keys whose verkey is as long as the Credo vector's sender's.
        var credoSenderLength = Base58Encoding.Encode(Base64UrlEncoding.Decode(SenderPublicKeyBase64Url)).Length;
        var senderKey = Enumerable.Range(1, 255).Select(i => Ed25519KeyPair.FromSeed(Enumerable.Repeat((byte)i, 32).ToArray()))
            .First(k => k.Verkey.Length == credoSenderLength);
        foreach (var (credo, sender) in new[] { (AuthcryptEnvelope, senderKey), (AnoncryptEnvelope, null) })
        {
            var ours = EnvelopePacker.Pack("""{"@type":"https://didcomm.org/connections/1.0"}""", [RecipientVerkey], sender);
            var credoBytes = Encoding.UTF8.GetBytes(credo);

            Assert.Equal(Shape(EnvelopeJson.ProtectedHeader(credoBytes)), Shape(EnvelopeJson.ProtectedHeader(ours)));
            Assert.Equal(
                EnvelopeJson.Parse(credoBytes).Select(p => p.Key).Order(),
                EnvelopeJson.Parse(ours).Select(p => p.Key).Order());
            Assert.Equal(
                Base64UrlEncoding.Decode(EnvelopeJson.FieldOf(credoBytes, "iv")).Length,
                Base64UrlEncoding.Decode(EnvelopeJson.FieldOf(ours, "iv")).Length);
        }
    }

    // The header with every base64url/base58 value replaced by its decoded length: member names, order and sizes.
    private static string Shape(System.Text.Json.Nodes.JsonObject header)
    {
        var recipient = header["recipients"]![0]!;
        var parts = new List<string>
        {
            string.Join(",", header.Select(p => p.Key)),
            header["enc"]!.GetValue<string>(),
            header["typ"]!.GetValue<string>(),
            header["alg"]!.GetValue<string>(),
            string.Join(",", recipient.AsObject().Select(p => p.Key)),
            "encrypted_key:" + Base64UrlEncoding.Decode(recipient["encrypted_key"]!.GetValue<string>()).Length,
        };
        foreach (var (name, value) in recipient["header"]!.AsObject())
        {
            var text = value!.GetValue<string>();
            parts.Add(name == "kid" ? "kid" : $"{name}:{Base64UrlEncoding.Decode(text).Length}");
        }

        return string.Join("|", parts);
    }

    private static string TypeOf(UnpackedMessage message)
    {
        using var json = JsonDocument.Parse(message.Plaintext);
        return json.RootElement.GetProperty("@type").GetString()!;
    }
}
