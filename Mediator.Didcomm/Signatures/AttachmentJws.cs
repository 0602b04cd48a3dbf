using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Signatures;

/// <summary>The outcome of verifying a signed attachment: the signed bytes and the verkeys that signed them.</summary>
public sealed record VerifiedAttachment(byte[] Payload, IReadOnlyList<string> SignerVerkeys)
{
    /// <summary>The payload parsed as JSON (e.g. the attached DID document).</summary>
    /// <exception cref="SignatureException">When the payload is not JSON.</exception>
    public JsonNode GetJson()
    {
        try
        {
            return StrictJson.Parse(Payload)
                ?? throw new SignatureException("The signed payload is JSON null.");
        }
        catch (JsonException e)
        {
            throw new SignatureException($"The signed payload is not JSON: {e.Message}", e);
        }
    }

    /// <summary>The payload as UTF-8 text (e.g. the DID in <c>did_rotate~attach</c>).</summary>
    public string GetText() => Encoding.UTF8.GetString(Payload);
}

/// <summary>
/// Signed attachments as Credo 0.5 writes and verifies them for <c>did_doc~attach</c> and <c>did_rotate~attach</c>
/// (DID Exchange 1.1, RFC 0023 / RFC 0017): <c>data.base64</c> holds the content, <c>data.jws</c> a detached JWS
/// <c>{"protected", "signature", "header": {"kid": "did:key:..."}}</c> (several signers:
/// <c>{"signatures": [...]}</c>) with protected header <c>{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x"}}</c>;
/// the signing input is <c>protected + "." + base64url(content)</c>.
/// </summary>
public static class AttachmentJws
{
    /// <summary>
    /// Signs JSON content as Credo does for a DID document: <c>mime-type: application/json</c>, <c>data.base64</c> in
    /// standard base64 of the JSON text, one JWS per signer.
    /// </summary>
    public static Attachment SignJson(JsonNode content, IReadOnlyCollection<Ed25519KeyPair> signers, string? attachmentId = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        var payload = JsJson.ToUtf8Bytes(content);
        return Sign(payload, Base64UrlEncoding.EncodeStandard(payload), "application/json", signers, attachmentId);
    }

    /// <summary>
    /// Signs a string as Credo does for <c>did_rotate~attach</c> (the DID): no mime-type, <c>data.base64</c> in
    /// base64url of the UTF-8 text.
    /// </summary>
    public static Attachment SignString(string content, IReadOnlyCollection<Ed25519KeyPair> signers, string? attachmentId = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        var payload = Encoding.UTF8.GetBytes(content);
        return Sign(payload, Base64UrlEncoding.Encode(payload), null, signers, attachmentId);
    }

    private static Attachment Sign(byte[] payload, string base64, string? mimeType, IReadOnlyCollection<Ed25519KeyPair> signers, string? attachmentId)
    {
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Count == 0)
        {
            throw new ArgumentException("At least one signer is required.", nameof(signers));
        }

        var payloadUrl = Base64UrlEncoding.Encode(payload);
        var jwsList = signers.Select(s => CreateJws(s, payloadUrl)).ToList();
        var jws = jwsList.Count == 1
            ? jwsList[0]
            : new JsonObject { ["signatures"] = new JsonArray([.. jwsList.Select(j => (JsonNode?)j)]) };
        return new Attachment(attachmentId ?? Guid.NewGuid().ToString(), new AttachmentData { Base64 = base64, Jws = jws })
        {
            MimeType = mimeType,
        };
    }

    /// <summary>One detached JWS (Credo's field order: protected, signature, header).</summary>
    public static JsonObject CreateJws(Ed25519KeyPair signer, string payloadBase64Url)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(payloadBase64Url);
        var protectedHeader = new JsonObject
        {
            ["alg"] = "EdDSA",
            ["jwk"] = new JsonObject
            {
                ["kty"] = "OKP",
                ["crv"] = "Ed25519",
                ["x"] = Base64UrlEncoding.Encode(signer.PublicKey),
            },
        };
        var protectedText = Base64UrlEncoding.Encode(JsJson.ToUtf8Bytes(protectedHeader));
        var signature = signer.Sign(Encoding.ASCII.GetBytes($"{protectedText}.{payloadBase64Url}"));
        return new JsonObject
        {
            ["protected"] = protectedText,
            ["signature"] = Base64UrlEncoding.Encode(signature),
            ["header"] = new JsonObject { ["kid"] = signer.DidKey },
        };
    }

    /// <summary>
    /// Verifies a signed attachment as Credo does: every JWS must verify over <c>data.base64</c> (either base64
    /// alphabet); the key comes from the protected <c>jwk</c>, or else from <c>header.kid</c> (a did:key). When both a
    /// protected jwk and a did:key kid are present they must name the same key.
    /// </summary>
    /// <exception cref="SignatureException">Missing jws or base64, malformed JWS, unsupported alg/key, or a bad signature.</exception>
    public static VerifiedAttachment Verify(Attachment attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        var jws = attachment.Data.Jws ?? throw new SignatureException("The attachment is not signed (no data.jws).");
        var base64 = attachment.Data.Base64 ?? throw new SignatureException("The signed attachment has no data.base64.");
        if (!Base64UrlEncoding.TryDecodeIgnoringTrailingBits(base64, out var payload))
        {
            throw new SignatureException("The signed attachment's data.base64 is not base64.");
        }

        var payloadUrl = Base64UrlEncoding.ToUrlText(base64);
        List<JsonObject> signatures;
        if (jws.TryGetPropertyValue("signatures", out var sigs))
        {
            signatures = sigs is JsonArray arr && arr.Count > 0 && arr.All(s => s is JsonObject)
                ? [.. arr.Cast<JsonObject>()]
                : throw new SignatureException("data.jws.signatures must be a non-empty array of objects.");
        }
        else
        {
            signatures = [jws];
        }

        var signers = new List<string>(signatures.Count);
        foreach (var sig in signatures)
        {
            signers.Add(VerifyOne(sig, payloadUrl));
        }

        return new VerifiedAttachment(payload, signers);
    }

    private static string VerifyOne(JsonObject jws, string payloadUrl)
    {
        string protectedText, signatureText;
        JsonObject? header;
        try
        {
            protectedText = JsonFields.OptionalString(jws, "protected", "jws") ?? throw new SignatureException("The JWS has no protected header.");
            signatureText = JsonFields.OptionalString(jws, "signature", "jws") ?? throw new SignatureException("The JWS has no signature.");
            header = JsonFields.OptionalObject(jws, "header", "jws");
        }
        catch (MalformedMessageException e)
        {
            throw new SignatureException($"Malformed JWS: {e.Message}", e);
        }

        if (!Base64UrlEncoding.TryDecodeIgnoringTrailingBits(protectedText, out var protectedBytes))
        {
            throw new SignatureException("The JWS protected header is not base64url.");
        }

        JsonObject protectedHeader;
        try
        {
            protectedHeader = StrictJson.Parse(protectedBytes) as JsonObject
                ?? throw new SignatureException("The JWS protected header is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new SignatureException($"The JWS protected header is not JSON: {e.Message}", e);
        }

        var alg = protectedHeader["alg"] is JsonValue a && a.GetValueKind() == JsonValueKind.String ? a.GetValue<string>() : null;
        if (alg != "EdDSA")
        {
            throw new SignatureException($"Unsupported JWS alg '{alg ?? "(none)"}'; only EdDSA over Ed25519 is accepted.");
        }

        byte[]? jwkKey = null;
        if (protectedHeader["jwk"] is { } jwkNode)
        {
            jwkKey = jwkNode is JsonObject jwk ? KeyFromJwk(jwk) : throw new SignatureException("The JWS protected jwk is not an object.");
        }

        var kid = header?["kid"] is JsonValue k && k.GetValueKind() == JsonValueKind.String ? k.GetValue<string>()
            : protectedHeader["kid"] is JsonValue pk && pk.GetValueKind() == JsonValueKind.String ? pk.GetValue<string>()
            : null;
        byte[]? kidKey = null;
        if (kid is not null && DidKey.IsDidKey(kid))
        {
            try
            {
                var decoded = DidKey.Decode(kid);
                kidKey = decoded.KeyType == DidKeyType.Ed25519 ? decoded.PublicKey : throw new SignatureException("The JWS kid is not an Ed25519 did:key.");
            }
            catch (KeyFormatException e)
            {
                throw new SignatureException($"The JWS kid is not a valid did:key: {e.Message}", e);
            }
        }

        if (jwkKey is not null && kidKey is not null && !jwkKey.AsSpan().SequenceEqual(kidKey))
        {
            throw new SignatureException("The JWS protected jwk and header kid name different keys.");
        }

        var key = jwkKey ?? kidKey ?? throw new SignatureException("The JWS names no key: no protected jwk and no did:key kid.");
        if (!Base64UrlEncoding.TryDecodeIgnoringTrailingBits(signatureText, out var signature) || signature.Length != Ed25519.SignatureSize)
        {
            throw new SignatureException("The JWS signature is not a base64url Ed25519 signature.");
        }

        if (!Ed25519.Verify(key, Encoding.ASCII.GetBytes($"{protectedText}.{payloadUrl}"), signature))
        {
            throw new SignatureException("The JWS signature does not verify.");
        }

        return Ed25519.EncodeVerkey(key);
    }

    private static byte[] KeyFromJwk(JsonObject jwk)
    {
        string? Str(string n) => jwk[n] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (Str("kty") != "OKP" || Str("crv") != "Ed25519")
        {
            throw new SignatureException($"Unsupported JWK (kty '{Str("kty")}', crv '{Str("crv")}'); only OKP Ed25519 is accepted.");
        }

        return Base64UrlEncoding.TryDecodeIgnoringTrailingBits(Str("x"), out var x) && x.Length == Ed25519.PublicKeySize
            ? x
            : throw new SignatureException("The JWK x is not a base64url 32-byte Ed25519 key.");
    }
}
