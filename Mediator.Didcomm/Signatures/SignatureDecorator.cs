using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Signatures;

/// <summary>The outcome of verifying a signature decorator: the signed JSON, its timestamp and the signer's verkey.</summary>
public sealed record VerifiedSignatureDecorator(JsonNode Data, DateTimeOffset SignedAt, string SignerVerkey);

/// <summary>
/// The signature decorator of Connections 1.0 (<c>connection~sig</c>, Aries RFC 0234, type
/// <c>.../signature/1.0/ed25519Sha512_single</c>) as Credo 0.5 writes it: <c>sig_data</c> = 8-byte big-endian
/// timestamp (Unix milliseconds, as Credo's <c>Date.now()</c>) followed by the JSON text, <c>signature</c> = Ed25519
/// over <c>sig_data</c>, both unpadded base64url; <c>signer</c> = the base58 verkey. JSON order:
/// <c>@type, sig_data, signer, signature</c>.
/// </summary>
public sealed record SignatureDecorator(string Type, string SignatureData, string Signer, string Signature)
{
    public const string Ed25519Sha512SingleType = "https://didcomm.org/signature/1.0/ed25519Sha512_single";

    /// <summary>Signs <paramref name="data"/> (written as JSON.stringify would) with <paramref name="signer"/>.</summary>
    /// <param name="signedAt">The timestamp to embed; now when null.</param>
    public static SignatureDecorator Sign(JsonNode data, Ed25519KeyPair signer, DateTimeOffset? signedAt = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(signer);
        var json = JsJson.ToUtf8Bytes(data);
        var sigData = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64BigEndian(sigData, (ulong)(signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds());
        json.CopyTo(sigData, 8);
        var signature = signer.Sign(sigData);
        return new SignatureDecorator(Ed25519Sha512SingleType, Base64UrlEncoding.Encode(sigData), signer.Verkey, Base64UrlEncoding.Encode(signature));
    }

    /// <summary>
    /// Verifies the decorator and returns the signed JSON (Credo's <c>unpackAndVerifySignatureDecorator</c>).
    /// The type may use either document URI prefix.
    /// </summary>
    /// <exception cref="SignatureException">Wrong type, malformed fields, or a signature that does not verify.</exception>
    public VerifiedSignatureDecorator Verify()
    {
        if (!MessageType.TryParse(Type, out var type)
            || !MessageType.Parse(Ed25519Sha512SingleType).Accepts(type))
        {
            throw new SignatureException($"Unsupported signature type '{Type}'; expected {Ed25519Sha512SingleType}.");
        }

        byte[] key;
        try
        {
            key = Ed25519.DecodeVerkey(Signer);
        }
        catch (KeyFormatException e)
        {
            throw new SignatureException($"The signer is not a base58 Ed25519 verkey: {e.Message}", e);
        }

        if (!Base64UrlEncoding.TryDecodeIgnoringTrailingBits(SignatureData, out var sigData))
        {
            throw new SignatureException("sig_data is not base64.");
        }

        if (!Base64UrlEncoding.TryDecodeIgnoringTrailingBits(Signature, out var signature) || signature.Length != Ed25519.SignatureSize)
        {
            throw new SignatureException("signature is not a base64 Ed25519 signature.");
        }

        if (sigData.Length < 8)
        {
            throw new SignatureException("sig_data is shorter than its 8-byte timestamp.");
        }

        if (!Ed25519.Verify(key, sigData, signature))
        {
            throw new SignatureException("Signature is not valid");
        }

        JsonNode data;
        try
        {
            data = StrictJson.Parse(sigData.AsSpan(8))
                ?? throw new SignatureException("The signed data is JSON null.");
        }
        catch (JsonException e)
        {
            throw new SignatureException($"The signed data is not JSON: {e.Message}", e);
        }

        var millis = BinaryPrimitives.ReadUInt64BigEndian(sigData);
        var signedAt = millis <= 253402300799999UL ? DateTimeOffset.FromUnixTimeMilliseconds((long)millis) : DateTimeOffset.MaxValue;
        return new VerifiedSignatureDecorator(data, signedAt, Signer);
    }

    public JsonObject ToJson() => new()
    {
        ["@type"] = Type,
        ["sig_data"] = SignatureData,
        ["signer"] = Signer,
        ["signature"] = Signature,
    };

    /// <summary>Reads a decorator object (e.g. a message's <c>connection~sig</c>).</summary>
    /// <exception cref="SignatureException">On missing or mistyped fields.</exception>
    public static SignatureDecorator FromJson(JsonNode? node, string path = "connection~sig")
    {
        if (node is not JsonObject json)
        {
            throw new SignatureException($"{path} must be an object, found {JsonFields.Kind(node)}.");
        }

        try
        {
            return new SignatureDecorator(
                JsonFields.RequiredString(json, "@type", path),
                JsonFields.RequiredString(json, "sig_data", path),
                JsonFields.RequiredString(json, "signer", path),
                JsonFields.RequiredString(json, "signature", path));
        }
        catch (MalformedMessageException e)
        {
            throw new SignatureException($"Malformed signature decorator: {e.Message}", e);
        }
    }
}
