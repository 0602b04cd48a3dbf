using System.Text.Json.Nodes;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Signatures;

/// <summary>The requester's DID as read from a DID Exchange request (or response).</summary>
/// <param name="Did">The <c>did</c> field.</param>
/// <param name="Document">Its document: the verified attachment (did:peer:1) or the DID resolved (did:peer:2/4, did:key).</param>
/// <param name="Services">The DIDComm v1 services to reply to, best first.</param>
/// <param name="SignerVerkeys">Who signed the attached document (empty when nothing was attached).</param>
/// <param name="NumAlgo1HashMatches">For did:peer:1: whether the attached document hashes to the DID (Credo does not check; reported for logging).</param>
public sealed record ExchangedDid(
    string Did,
    DidDocument Document,
    IReadOnlyList<ResolvedDidcommService> Services,
    IReadOnlyList<string> SignerVerkeys,
    bool? NumAlgo1HashMatches);

/// <summary>What to put into a DID Exchange response: the <c>did</c>, the signed attachment and its field name.</summary>
/// <param name="AttachmentField"><c>did_doc~attach</c> (did:peer:1) or <c>did_rotate~attach</c> (did:peer:2/4).</param>
/// <param name="Document">Our document for that DID (store it: a did:peer:1 resolves only from it).</param>
public sealed record ExchangeResponseDid(string Did, string AttachmentField, Attachment Attachment, DidDocument Document);

/// <summary>
/// The DID parts of DID Exchange 1.1 (Aries RFC 0023) exactly as Credo 0.5's <c>DidExchangeProtocol</c> does them:
/// a did:peer:1 travels with its document in <c>did_doc~attach</c> (JWS by a key of that document or an invitation
/// key); a did:peer:2 or :4 resolves from itself and a response carries <c>did_rotate~attach</c>, the DID signed by
/// the invitation key. The responder answers with the numalgo the requester used (1 for anything else).
/// </summary>
public static class DidExchangeDids
{
    public const string DidDocAttach = "did_doc~attach";
    public const string DidRotateAttach = "did_rotate~attach";

    /// <summary>
    /// Reads and checks the <c>did</c> of a DID Exchange request (or response) as Credo does.
    /// </summary>
    /// <param name="invitationVerkeys">Keys of the invitation; they may sign an attached document (and must sign a did_rotate).</param>
    /// <exception cref="MalformedMessageException">The <c>did</c> field or the attachment is malformed.</exception>
    /// <exception cref="SignatureException">The attachment is missing, unsigned, or signed by a key that may not sign it.</exception>
    /// <exception cref="DidException">The DID or document cannot be resolved to DIDComm services.</exception>
    public static ExchangedDid Read(DidcommMessage message, IReadOnlyCollection<string> invitationVerkeys)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(invitationVerkeys);
        var did = message.GetRequiredString("did");
        var isPeer1 = did.StartsWith(PeerDid.Prefix, StringComparison.Ordinal) && PeerDid.GetNumAlgo(did) == PeerDidNumAlgo.GenesisDoc;
        if (isPeer1)
        {
            var attachment = message.GetAttachment(DidDocAttach)
                ?? throw new SignatureException("DID Document attachment is missing.");
            var verified = AttachmentJws.Verify(attachment);
            var json = verified.GetJson() as JsonObject ?? throw new DidException("The attached DID document is not a JSON object.");
            var document = DidDocument.FromJson(json);
            var authKeys = new HashSet<string>(invitationVerkeys, StringComparer.Ordinal);
            foreach (var entry in document.Authentication ?? [])
            {
                var key = (entry.Embedded ?? document.Dereference(entry.Reference!)).GetPublicKey();
                if (key.KeyType == DidKeyType.Ed25519)
                {
                    authKeys.Add(key.ToBase58());
                }
            }

            if (!verified.SignerVerkeys.All(authKeys.Contains))
            {
                throw new SignatureException("DID Document signature is invalid: it is signed by a key that is neither in the document's authentication nor an invitation key.");
            }

            var hashMatches = PeerDid.VerifyNumAlgo1(did, json);
            document.Id = did;
            return new ExchangedDid(did, document, DidcommServiceResolver.FromDocument(document), verified.SignerVerkeys, hashMatches);
        }

        var rotate = message.GetAttachment(DidRotateAttach);
        var signers = (IReadOnlyList<string>)[];
        if (rotate is not null)
        {
            var verified = AttachmentJws.Verify(rotate);
            if (verified.GetText() != did)
            {
                throw new SignatureException("The did_rotate~attach signs another DID than the message's did.");
            }

            if (!verified.SignerVerkeys.All(invitationVerkeys.Contains))
            {
                throw new SignatureException("DID Rotate signature is invalid: it is not signed by an invitation key.");
            }

            signers = verified.SignerVerkeys;
        }
        else if (message.Type.MessageName == "response")
        {
            throw new SignatureException("DID Rotate attachment is missing.");
        }

        var resolved = DidcommServiceResolver.ResolveDocument(did);
        return new ExchangedDid(did, resolved, DidcommServiceResolver.FromDocument(resolved), signers, null);
    }

    /// <summary>
    /// Creates the responder's DID for a DID Exchange response as Credo's <c>createResponse</c> does: the same numalgo
    /// as the requester's did:peer (1 otherwise); services <c>#inline-N</c> per endpoint with
    /// <paramref name="connectionKey"/> and <paramref name="routingKeys"/>. did:peer:1: <c>did_doc~attach</c> signed
    /// by the connection key; did:peer:2/4: <c>did_rotate~attach</c> (the DID) signed by the invitation key.
    /// </summary>
    public static ExchangeResponseDid CreateResponse(
        string requesterDid,
        Ed25519KeyPair connectionKey,
        Ed25519KeyPair invitationKey,
        IReadOnlyList<string> endpoints,
        IReadOnlyList<byte[]>? routingKeys = null)
    {
        ArgumentNullException.ThrowIfNull(requesterDid);
        ArgumentNullException.ThrowIfNull(connectionKey);
        ArgumentNullException.ThrowIfNull(invitationKey);
        ArgumentNullException.ThrowIfNull(endpoints);
        var numAlgo = PeerDid.IsValid(requesterDid) ? PeerDid.GetNumAlgo(requesterDid) : PeerDidNumAlgo.GenesisDoc;
        var document = PeerDid.CreateDocumentFromServices(endpoints.Select((e, i) =>
            new PeerServiceSpec($"#inline-{i}", e, [connectionKey.GetPublicKeyBytes()], routingKeys ?? [])));
        switch (numAlgo)
        {
            case PeerDidNumAlgo.MultipleInceptionKeyWithoutDoc:
            {
                var did = PeerDid.ToNumAlgo2(document);
                document.Id = did;
                return new ExchangeResponseDid(did, DidRotateAttach, AttachmentJws.SignString(did, [invitationKey]), document);
            }

            case PeerDidNumAlgo.ShortFormAndLongForm:
            {
                var (longForm, shortForm) = PeerDid.ToNumAlgo4(document);
                document.Id = longForm;
                document.AlsoKnownAs = [shortForm];
                return new ExchangeResponseDid(longForm, DidRotateAttach, AttachmentJws.SignString(longForm, [invitationKey]), document);
            }

            default:
            {
                var did = PeerDid.AssignNumAlgo1(document);
                return new ExchangeResponseDid(did, DidDocAttach, AttachmentJws.SignJson(document.ToJson(), [connectionKey]), document);
            }
        }
    }
}
