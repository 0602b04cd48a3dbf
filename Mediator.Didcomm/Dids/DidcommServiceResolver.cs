using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Dids;

/// <summary>
/// Where and how to send a DIDComm v1 message: the endpoint, the recipients' Ed25519 verkeys (the envelope's
/// recipients) and the routing verkeys (each wraps the message in a forward, innermost first as listed).
/// </summary>
public sealed record ResolvedDidcommService(
    string Id,
    string ServiceEndpoint,
    IReadOnlyList<string> RecipientKeys,
    IReadOnlyList<string> RoutingKeys);

/// <summary>
/// Turns the DIDs and documents peers send into <see cref="ResolvedDidcommService"/>s, as Credo's
/// <c>DidCommDocumentService.resolveServicesFromDid</c> does: IndyAgent services carry raw verkeys; did-communication
/// services carry key references (resolved in the document, or did:key references decoded), an X25519 recipient key
/// is replaced by the document's Ed25519 key with that X25519 form.
/// </summary>
public static class DidcommServiceResolver
{
    /// <summary>
    /// Resolves a DID to its document. did:peer:2, long-form did:peer:4 and did:key resolve from the DID itself;
    /// did:peer:1, short-form did:peer:4 and unqualified DIDs need <paramref name="known"/> (the attached or stored
    /// document), which is returned when its id matches (or, for did:peer:1, when it hashes to the DID).
    /// </summary>
    /// <exception cref="DidException">When the DID cannot be resolved with what is given.</exception>
    public static DidDocument ResolveDocument(string did, DidDocument? known = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(did);
        var bare = StripFragment(did);
        if (DidKey.IsDidKey(bare))
        {
            return DidKeyDocument(bare);
        }

        if (bare.StartsWith(PeerDid.Prefix, StringComparison.Ordinal))
        {
            switch (PeerDid.GetNumAlgo(bare))
            {
                case PeerDidNumAlgo.MultipleInceptionKeyWithoutDoc:
                    return PeerDid.ResolveNumAlgo2(bare);
                case PeerDidNumAlgo.ShortFormAndLongForm when PeerDid.ShortFormOf(bare) is not null:
                    return PeerDid.ResolveNumAlgo4(bare);
                case PeerDidNumAlgo.InceptionKeyWithoutDoc:
                    return DidKeyDocument(DidKey.Prefix + bare[(PeerDid.Prefix.Length + 1)..], bare);
            }
        }

        if (known is not null && (known.Id == bare || (known.AlsoKnownAs?.Contains(bare) ?? false)))
        {
            return known;
        }

        throw new DidException($"Cannot resolve '{PeerDid.Truncate(bare)}': it needs a stored or attached DID document.");
    }

    /// <summary>The DIDComm v1 services of a DID, best (lowest priority value) first.</summary>
    /// <exception cref="DidException">When the DID or a key reference does not resolve.</exception>
    public static IReadOnlyList<ResolvedDidcommService> Resolve(string did, DidDocument? known = null)
    {
        var doc = ResolveDocument(did, known);
        var fragment = did.Contains('#', StringComparison.Ordinal) ? did : null;
        var services = FromDocument(doc);
        return fragment is null ? services : [.. services.Where(s => s.Id == fragment || s.Id.EndsWith(fragment[fragment.IndexOf('#', StringComparison.Ordinal)..], StringComparison.Ordinal))];
    }

    /// <summary>The DIDComm v1 services of a document, best (lowest priority value) first.</summary>
    /// <exception cref="DidException">When a key reference does not resolve to an Ed25519 key.</exception>
    public static IReadOnlyList<ResolvedDidcommService> FromDocument(DidDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return ResolveServices(document.DidcommServices, k => RecipientVerkey(document, k), k => RoutingVerkey(document, k));
    }

    /// <summary>The DIDComm v1 services of a Connections 1.0 DIDDoc, best first.</summary>
    /// <exception cref="DidException">When a key reference does not resolve.</exception>
    public static IReadOnlyList<ResolvedDidcommService> FromLegacyDidDoc(LegacyDidDoc didDoc)
    {
        ArgumentNullException.ThrowIfNull(didDoc);
        string Legacy(string reference)
        {
            var keys = didDoc.PublicKey.Concat(didDoc.Authentication.Where(a => a.Embedded).Select(a => a.PublicKey)).ToList();
            var key = keys.FirstOrDefault(k => k.Id == reference)
                ?? keys.FirstOrDefault(k => LegacyDidDoc.NormalizeId(k.Id) == LegacyDidDoc.NormalizeId(reference));
            if (key is { Type: LegacyPublicKey.Ed25519Type, Value: { } value })
            {
                return RawVerkey(value);
            }

            return DidKey.IsDidKey(reference) ? DidKeyVerkey(reference) : RawVerkey(reference);
        }

        return ResolveServices(didDoc.DidcommServices, Legacy, Legacy);
    }

    // IndyAgent services carry raw verkeys (or did:keys); a did-communication service's key references are resolved
    // by the caller's functions, which know the document.
    private static List<ResolvedDidcommService> ResolveServices(
        IEnumerable<DidDocumentService> services, Func<string, string> recipientVerkey, Func<string, string> routingVerkey)
    {
        var result = new List<ResolvedDidcommService>();
        foreach (var service in services)
        {
            switch (service)
            {
                case IndyAgentService indy:
                    result.Add(new ResolvedDidcommService(indy.Id, indy.ServiceEndpoint,
                        [.. indy.RecipientKeys.Select(RawVerkey)], [.. (indy.RoutingKeys ?? []).Select(RawVerkey)]));
                    break;
                case DidCommV1Service v1:
                    result.Add(new ResolvedDidcommService(v1.Id, v1.ServiceEndpoint,
                        [.. v1.RecipientKeys.Select(recipientVerkey)], [.. (v1.RoutingKeys ?? []).Select(routingVerkey)]));
                    break;
            }
        }

        return result;
    }

    /// <summary>The document Credo resolves for a did:key: the Ed25519 key in verificationMethod and the relationships, its X25519 form in keyAgreement.</summary>
    public static DidDocument DidKeyDocument(string didKey, string? id = null)
    {
        DecodedDidKey key;
        try
        {
            key = DidKey.Decode(didKey);
        }
        catch (KeyFormatException e)
        {
            throw new DidException(e.Message, e);
        }

        var did = id ?? StripFragment(didKey);
        var fingerprint = PeerDid.Fingerprint(key);
        var doc = new DidDocument
        {
            Context = new System.Text.Json.Nodes.JsonArray("https://w3id.org/did/v1", "https://w3id.org/security/suites/ed25519-2018/v1", "https://w3id.org/security/suites/x25519-2019/v1"),
            Id = did,
        };
        if (key.KeyType == DidKeyType.X25519)
        {
            var x = VerificationMethod.X25519($"{did}#{fingerprint}", did, key.PublicKey);
            doc.KeyAgreement = [x];
            return doc;
        }

        var vmId = $"{did}#{fingerprint}";
        doc.VerificationMethod = [VerificationMethod.Ed25519(vmId, did, key.PublicKey)];
        doc.Authentication = [vmId];
        doc.AssertionMethod = [vmId];
        doc.CapabilityInvocation = [vmId];
        doc.CapabilityDelegation = [vmId];
        if (Ed25519.TryToX25519PublicKey(key.PublicKey, out var x25519))
        {
            var xKey = new DecodedDidKey(DidKeyType.X25519, x25519);
            doc.KeyAgreement = [VerificationMethod.X25519($"{did}#{PeerDid.Fingerprint(xKey)}", did, x25519)];
        }

        return doc;
    }

    private static string RecipientVerkey(DidDocument document, string reference)
    {
        if (!reference.Contains('#', StringComparison.Ordinal) && !reference.StartsWith("did:", StringComparison.Ordinal) && Ed25519.IsVerkey(reference))
        {
            // Some agents put raw verkeys into did-communication services.
            return reference;
        }

        var key = document.ResolveKey(reference);
        if (key.KeyType == DidKeyType.Ed25519)
        {
            return key.ToBase58();
        }

        // X25519 recipient: use the document's Ed25519 key whose X25519 form it is (DIDComm v1 envelopes name Ed25519 keys).
        foreach (var candidate in AllEd25519Keys(document))
        {
            if (Ed25519.TryToX25519PublicKey(candidate, out var x) && x.AsSpan().SequenceEqual(key.PublicKey))
            {
                return Base58Encoding.Encode(candidate);
            }
        }

        throw new DidException($"Recipient key '{reference}' is an X25519 key with no matching Ed25519 key; DIDComm v1 cannot address it.");
    }

    private static string RoutingVerkey(DidDocument document, string reference)
    {
        if (DidKey.IsDidKey(reference))
        {
            return DidKeyVerkey(reference);
        }

        if (!reference.Contains('#', StringComparison.Ordinal) && !reference.StartsWith("did:", StringComparison.Ordinal) && Ed25519.IsVerkey(reference))
        {
            return reference;
        }

        if (reference.StartsWith("did:", StringComparison.Ordinal) && StripFragment(reference) != document.Id)
        {
            var other = ResolveDocument(reference);
            return RecipientVerkey(other, reference);
        }

        return RecipientVerkey(document, reference);
    }

    private static IEnumerable<byte[]> AllEd25519Keys(DidDocument document)
    {
        var methods = (document.VerificationMethod ?? [])
            .Concat((document.Authentication ?? []).Where(e => e.Embedded is not null).Select(e => e.Embedded!));
        foreach (var vm in methods)
        {
            DecodedDidKey? k = null;
            try
            {
                k = vm.GetPublicKey();
            }
            catch (DidException)
            {
                // Not an Ed25519/X25519 method; skip.
            }

            if (k is { KeyType: DidKeyType.Ed25519 })
            {
                yield return k.PublicKey;
            }
        }
    }

    private static string DidKeyVerkey(string didKey)
    {
        try
        {
            return DidKey.ToVerkey(didKey);
        }
        catch (KeyFormatException e)
        {
            throw new DidException(e.Message, e);
        }
    }

    private static string RawVerkey(string verkey) =>
        Ed25519.IsVerkey(verkey) ? verkey
        : DidKey.IsDidKey(verkey) ? DidKeyVerkey(verkey)
        : throw new DidException($"'{PeerDid.Truncate(verkey)}' is not a base58 Ed25519 verkey.");

    private static string StripFragment(string did)
    {
        var i = did.IndexOf('#', StringComparison.Ordinal);
        return i < 0 ? did : did[..i];
    }
}
