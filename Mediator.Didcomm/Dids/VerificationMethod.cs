using System.Text.Json.Nodes;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Dids;

/// <summary>Verification method types Credo 0.5 reads and writes for Ed25519 / X25519 keys.</summary>
public static class VerificationMethodTypes
{
    public const string Ed25519VerificationKey2018 = "Ed25519VerificationKey2018";
    public const string Ed25519VerificationKey2020 = "Ed25519VerificationKey2020";
    public const string X25519KeyAgreementKey2019 = "X25519KeyAgreementKey2019";
    public const string X25519KeyAgreementKey2020 = "X25519KeyAgreementKey2020";
    public const string JsonWebKey2020 = "JsonWebKey2020";
    public const string Multikey = "Multikey";
}

/// <summary>
/// A verification method of a DID document. JSON order as Credo writes it: <c>id, type, controller,
/// publicKeyBase58, publicKeyBase64, publicKeyJwk, publicKeyHex, publicKeyMultibase, publicKeyPem</c>.
/// </summary>
public sealed record VerificationMethod(string Id, string Type, string? Controller)
{
    public string? PublicKeyBase58 { get; init; }

    public string? PublicKeyBase64 { get; init; }

    public JsonObject? PublicKeyJwk { get; init; }

    public string? PublicKeyHex { get; init; }

    public string? PublicKeyMultibase { get; init; }

    public string? PublicKeyPem { get; init; }

    /// <summary>An <c>Ed25519VerificationKey2018</c> method.</summary>
    public static VerificationMethod Ed25519(string id, string? controller, ReadOnlySpan<byte> publicKey) =>
        new(id, VerificationMethodTypes.Ed25519VerificationKey2018, controller) { PublicKeyBase58 = Base58Encoding.Encode(publicKey) };

    /// <summary>An <c>X25519KeyAgreementKey2019</c> method.</summary>
    public static VerificationMethod X25519(string id, string? controller, ReadOnlySpan<byte> publicKey) =>
        new(id, VerificationMethodTypes.X25519KeyAgreementKey2019, controller) { PublicKeyBase58 = Base58Encoding.Encode(publicKey) };

    /// <summary>The method's public key, for the Ed25519 and X25519 types above.</summary>
    /// <exception cref="DidException">Unsupported type or malformed key material.</exception>
    public DecodedDidKey GetPublicKey()
    {
        try
        {
            switch (Type)
            {
                case VerificationMethodTypes.Ed25519VerificationKey2018:
                    return new DecodedDidKey(DidKeyType.Ed25519, Keys.Ed25519.DecodeVerkey(Require(PublicKeyBase58, "publicKeyBase58")));
                case VerificationMethodTypes.X25519KeyAgreementKey2019:
                    return new DecodedDidKey(DidKeyType.X25519, Base58Key(Require(PublicKeyBase58, "publicKeyBase58")));
                case VerificationMethodTypes.Ed25519VerificationKey2020:
                case VerificationMethodTypes.X25519KeyAgreementKey2020:
                case VerificationMethodTypes.Multikey:
                    var multibase = Require(PublicKeyMultibase, "publicKeyMultibase");
                    var decoded = DidKey.Decode(DidKey.Prefix + multibase);
                    var expected = Type switch
                    {
                        VerificationMethodTypes.Ed25519VerificationKey2020 => DidKeyType.Ed25519,
                        VerificationMethodTypes.X25519KeyAgreementKey2020 => DidKeyType.X25519,
                        _ => decoded.KeyType,
                    };
                    return decoded.KeyType == expected
                        ? decoded
                        : throw new DidException($"Verification method {Id} of type {Type} holds an {decoded.KeyType} key.");
                case VerificationMethodTypes.JsonWebKey2020:
                    var jwk = PublicKeyJwk ?? throw new DidException($"Verification method {Id} has no publicKeyJwk.");
                    var crv = JsonFields.OptionalString(jwk, "crv", "publicKeyJwk");
                    var kty = JsonFields.OptionalString(jwk, "kty", "publicKeyJwk");
                    var x = JsonFields.OptionalString(jwk, "x", "publicKeyJwk");
                    if (kty != "OKP" || x is null || !Base64UrlEncoding.TryDecodeIgnoringTrailingBits(x, out var raw) || raw.Length != 32)
                    {
                        throw new DidException($"Verification method {Id} has an unsupported or malformed JWK.");
                    }

                    return crv switch
                    {
                        "Ed25519" => new DecodedDidKey(DidKeyType.Ed25519, raw),
                        "X25519" => new DecodedDidKey(DidKeyType.X25519, raw),
                        _ => throw new DidException($"Verification method {Id} has JWK curve '{crv}', not Ed25519 or X25519."),
                    };
                default:
                    throw new DidException($"Verification method {Id} has unsupported type '{Type}'.");
            }
        }
        catch (KeyFormatException e)
        {
            throw new DidException($"Verification method {Id} has a malformed key: {e.Message}", e);
        }
        catch (MalformedMessageException e)
        {
            throw new DidException($"Verification method {Id}: {e.Message}", e);
        }
    }

    private static byte[] Base58Key(string text)
    {
        var bytes = Base58Encoding.Decode(text);
        return bytes.Length == 32 ? bytes : throw new KeyFormatException($"A key has 32 bytes, not {bytes.Length}.");
    }

    private string Require(string? value, string field) =>
        value ?? throw new DidException($"Verification method {Id} of type {Type} has no {field}.");

    /// <summary>Reads a verification method object.</summary>
    /// <exception cref="DidException">On missing id/type or wrong field types.</exception>
    public static VerificationMethod FromJson(JsonObject json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return new VerificationMethod(
                JsonFields.RequiredString(json, "id", path),
                JsonFields.RequiredString(json, "type", path),
                JsonFields.OptionalString(json, "controller", path))
            {
                PublicKeyBase58 = JsonFields.OptionalString(json, "publicKeyBase58", path),
                PublicKeyBase64 = JsonFields.OptionalString(json, "publicKeyBase64", path),
                PublicKeyJwk = (JsonObject?)JsonFields.OptionalObject(json, "publicKeyJwk", path)?.DeepClone(),
                PublicKeyHex = JsonFields.OptionalString(json, "publicKeyHex", path),
                PublicKeyMultibase = JsonFields.OptionalString(json, "publicKeyMultibase", path),
                PublicKeyPem = JsonFields.OptionalString(json, "publicKeyPem", path),
            };
        }
        catch (MalformedMessageException e)
        {
            throw new DidException($"Invalid DID document: {e.Message}", e);
        }
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["id"] = Id, ["type"] = Type };
        if (Controller is not null)
        {
            o["controller"] = Controller;
        }

        if (PublicKeyBase58 is not null)
        {
            o["publicKeyBase58"] = PublicKeyBase58;
        }

        if (PublicKeyBase64 is not null)
        {
            o["publicKeyBase64"] = PublicKeyBase64;
        }

        if (PublicKeyJwk is not null)
        {
            o["publicKeyJwk"] = PublicKeyJwk.DeepClone();
        }

        if (PublicKeyHex is not null)
        {
            o["publicKeyHex"] = PublicKeyHex;
        }

        if (PublicKeyMultibase is not null)
        {
            o["publicKeyMultibase"] = PublicKeyMultibase;
        }

        if (PublicKeyPem is not null)
        {
            o["publicKeyPem"] = PublicKeyPem;
        }

        return o;
    }
}

/// <summary>An entry of a verification relationship (<c>authentication</c>, <c>keyAgreement</c>, ...): a reference or an embedded method.</summary>
public sealed record VerificationMethodEntry
{
    private VerificationMethodEntry(string? reference, VerificationMethod? embedded)
    {
        Reference = reference;
        Embedded = embedded;
    }

    /// <summary>A key id such as <c>#key-1</c> or <c>did:peer:...#key-1</c>, when the entry is a reference.</summary>
    public string? Reference { get; }

    /// <summary>The method, when the entry embeds it.</summary>
    public VerificationMethod? Embedded { get; }

    /// <summary>The id of the method this entry means.</summary>
    public string Id => Reference ?? Embedded!.Id;

    public static VerificationMethodEntry Of(string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        return new(reference, null);
    }

    public static VerificationMethodEntry Of(VerificationMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return new(null, method);
    }

    public static implicit operator VerificationMethodEntry(string reference) => Of(reference);

    public static implicit operator VerificationMethodEntry(VerificationMethod method) => Of(method);

    public JsonNode ToJson() => Reference is not null ? JsonValue.Create(Reference) : Embedded!.ToJson();
}
