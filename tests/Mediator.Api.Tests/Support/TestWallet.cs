using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;

namespace Mediator.Api.Tests.Support;

/// <summary>
/// A test wallet that talks to a mediator as a Credo wallet would: its own Ed25519 key, envelopes packed and unpacked
/// with Mediator.Didcomm, HTTP POST and WebSocket transports, and the DID Exchange / Connections handshakes (verifying
/// the mediator's signed attachments). After a handshake, <see cref="MediatorVerkey"/> is the mediator's key for this
/// connection and messages go there.
/// </summary>
public sealed class TestWallet
{
    public const string EnvelopeContentType = "application/didcomm-envelope-enc";

    private readonly HttpClient _http;

    public TestWallet(Uri httpEndpoint, string label = "Test wallet", Ed25519KeyPair? key = null)
    {
        HttpEndpoint = httpEndpoint;
        WebSocketEndpoint = new Uri($"ws://{httpEndpoint.Authority}/");
        Label = label;
        Key = key ?? Ed25519KeyPair.Generate();
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    }

    public TestWallet(MediatorTestHost host, string label = "Test wallet") : this(host.HttpEndpoint, label)
    {
    }

    public Uri HttpEndpoint { get; }
    public Uri WebSocketEndpoint { get; }
    public string Label { get; }

    /// <summary>The wallet's key (its connection key in handshakes, the sender of authcrypt envelopes).</summary>
    public Ed25519KeyPair Key { get; }

    /// <summary>The invitation, once fetched.</summary>
    public JsonObject? Invitation { get; private set; }

    /// <summary>The invitation's recipient key (base58), once fetched.</summary>
    public string? InvitationVerkey { get; private set; }

    /// <summary>Where messages go: the mediator's key for this connection after a handshake, else the invitation key.</summary>
    public string? MediatorVerkey { get; set; }

    /// <summary>Our DID in the handshake and the mediator's DID and services from its answer.</summary>
    public string? Did { get; private set; }
    public string? MediatorDid { get; private set; }
    public IReadOnlyList<ResolvedDidcommService> MediatorServices { get; private set; } = [];

    /// <summary>The handshake request's @id (the connection's thread id).</summary>
    public string? HandshakeThreadId { get; private set; }

    // ---------- invitation ----------

    public async Task<JsonObject> GetInvitationAsync(CancellationToken cancellationToken = default)
    {
        var json = await _http.GetStringAsync(new Uri(HttpEndpoint, "invitation"), cancellationToken);
        var body = (JsonObject)JsonNode.Parse(json)!;
        Invitation = (JsonObject)body["invitation"]!;
        var didKey = Invitation["services"]![0]!["recipientKeys"]![0]!.GetValue<string>();
        InvitationVerkey = DidKey.ToVerkey(didKey);
        MediatorVerkey ??= InvitationVerkey;
        return body;
    }

    // ---------- packing ----------

    /// <summary>Authcrypt (or anoncrypt) <paramref name="message"/> to <paramref name="to"/> (default <see cref="MediatorVerkey"/>).</summary>
    public byte[] Pack(JsonObject message, string? to = null, bool anoncrypt = false, Ed25519KeyPair? from = null) =>
        EnvelopePacker.Pack(JsJson.ToUtf8Bytes(message), [to ?? MediatorVerkey ?? throw new InvalidOperationException("No mediator key: fetch the invitation first.")],
            anoncrypt ? null : from ?? Key);

    public byte[] Pack(MessageBuilder message, string? to = null, bool anoncrypt = false) => Pack(message.ToJson(), to, anoncrypt);

    /// <summary>Unpacks an envelope for this wallet's key and parses the message.</summary>
    public ReceivedMessage Unpack(ReadOnlySpan<byte> envelope)
    {
        var unpacked = EnvelopeUnpacker.Unpack(envelope, Key);
        return new ReceivedMessage(DidcommMessage.Parse(unpacked.Plaintext.Span), unpacked);
    }

    /// <summary>Adds <c>~transport.return_route</c> to a message.</summary>
    public static JsonObject WithReturnRoute(JsonObject message, ReturnRoute returnRoute)
    {
        if (returnRoute != ReturnRoute.None || message.ContainsKey("~transport"))
            message["~transport"] = new JsonObject { ["return_route"] = TransportDecorator.ToWire(returnRoute) };
        return message;
    }

    // ---------- HTTP ----------

    /// <summary>POSTs raw bytes to the mediator's HTTP endpoint.</summary>
    public async Task<HttpResponseMessage> PostAsync(byte[] body, string? contentType = EnvelopeContentType, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await _http.PostAsync(HttpEndpoint, content, cancellationToken);
    }

    /// <summary>
    /// Packs and POSTs <paramref name="message"/> with the given return route; returns the reply from the response body,
    /// or null on 202. Any other status throws <see cref="HttpRequestException"/> with the status and the body text.
    /// </summary>
    public async Task<ReceivedMessage?> SendHttpAsync(JsonObject message, ReturnRoute returnRoute = ReturnRoute.All, string? to = null,
        CancellationToken cancellationToken = default)
    {
        using var response = await PostAsync(Pack(WithReturnRoute(message, returnRoute), to), EnvelopeContentType, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted && body.Length == 0) return null;
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"{(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}", null, response.StatusCode);
        return Unpack(body);
    }

    public Task<ReceivedMessage?> SendHttpAsync(MessageBuilder message, ReturnRoute returnRoute = ReturnRoute.All, string? to = null,
        CancellationToken cancellationToken = default) => SendHttpAsync(message.ToJson(), returnRoute, to, cancellationToken);

    /// <summary>Like <see cref="SendHttpAsync(JsonObject, ReturnRoute, string?, CancellationToken)"/>, failing when no reply comes.</summary>
    public async Task<ReceivedMessage> RequestHttpAsync(MessageBuilder message, CancellationToken cancellationToken = default) =>
        await SendHttpAsync(message, ReturnRoute.All, null, cancellationToken) ?? throw new InvalidOperationException($"No reply to {message.Type}.");

    // ---------- WebSocket ----------

    public async Task<TestWalletSocket> OpenWebSocketAsync(string path = "/", CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(WebSocketEndpoint, path), cancellationToken);
        return new TestWalletSocket(this, socket);
    }

    // ---------- handshakes ----------

    /// <summary>
    /// DID Exchange 1.1 as Credo's requester does it: a did:peer (numalgo 1 with a signed did_doc~attach, or 2 / 4)
    /// for <see cref="Key"/> with <paramref name="endpoint"/>, the request (pthid = invitation @id) authcrypted to the
    /// invitation key with return_route all; the response's DID and signed attachment verified; then <c>complete</c>.
    /// </summary>
    public async Task<ReceivedMessage> ConnectWithDidExchangeAsync(PeerDidNumAlgo numAlgo = PeerDidNumAlgo.GenesisDoc,
        string endpoint = "didcomm:transport/queue", bool sendComplete = true, CancellationToken cancellationToken = default)
    {
        var request = CreateDidExchangeRequest(numAlgo, endpoint);
        var response = await SendHttpAsync(request, ReturnRoute.All, InvitationVerkey, cancellationToken)
            ?? throw new InvalidOperationException("No DID Exchange response on the return route.");
        AcceptDidExchangeResponse(response);
        if (sendComplete)
        {
            var complete = new MessageBuilder("https://didcomm.org/didexchange/1.1/complete")
                .WithThread(HandshakeThreadId, (string)Invitation!["@id"]!);
            var none = await SendHttpAsync(complete, ReturnRoute.None, cancellationToken: cancellationToken);
            if (none is not null) throw new InvalidOperationException($"Unexpected answer to complete: {none.Message}");
        }
        return response;
    }

    /// <summary>Builds a DID Exchange request (fetch the invitation first).</summary>
    public MessageBuilder CreateDidExchangeRequest(PeerDidNumAlgo numAlgo = PeerDidNumAlgo.GenesisDoc, string endpoint = "didcomm:transport/queue")
    {
        if (Invitation is null) throw new InvalidOperationException("Fetch the invitation first.");
        var document = PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#inline-0", endpoint, [Key.GetPublicKeyBytes()], [])]);
        var request = new MessageBuilder("https://didcomm.org/didexchange/1.1/request");
        request.WithThread(null, (string)Invitation["@id"]!).With("label", Label);
        switch (numAlgo)
        {
            case PeerDidNumAlgo.MultipleInceptionKeyWithoutDoc:
                Did = PeerDid.ToNumAlgo2(document);
                request.With("did", Did);
                break;
            case PeerDidNumAlgo.ShortFormAndLongForm:
                Did = PeerDid.ToNumAlgo4(document).LongForm;
                request.With("did", Did);
                break;
            default:
                Did = PeerDid.AssignNumAlgo1(document);
                request.With("did", Did).WithAttachment(DidExchangeDids.DidDocAttach, AttachmentJws.SignJson(document.ToJson(), [Key]));
                break;
        }
        HandshakeThreadId = request.Id;
        return request;
    }

    /// <summary>Checks a DID Exchange response as Credo does and takes the mediator's key for the connection from it.</summary>
    public void AcceptDidExchangeResponse(ReceivedMessage response)
    {
        if (response.Message.Type.Uri != "https://didcomm.org/didexchange/1.1/response")
            throw new InvalidOperationException($"Expected a DID Exchange response, got {response.Message}");
        if (response.Message.ThreadId != HandshakeThreadId)
            throw new InvalidOperationException($"Response thid {response.Message.ThreadId}, request id {HandshakeThreadId}.");
        var theirs = DidExchangeDids.Read(response.Message, [InvitationVerkey!]);
        MediatorDid = theirs.Did;
        MediatorServices = theirs.Services;
        MediatorVerkey = theirs.Services[0].RecipientKeys[0];
    }

    /// <summary>Connections 1.0 as Credo's invitee does it: a request with a legacy DIDDoc, the response's connection~sig verified, then a trust ping.</summary>
    public async Task<ReceivedMessage> ConnectWithConnectionsAsync(string endpoint = "didcomm:transport/queue", CancellationToken cancellationToken = default)
    {
        var request = CreateConnectionRequest(endpoint);
        var response = await SendHttpAsync(request, ReturnRoute.All, InvitationVerkey, cancellationToken)
            ?? throw new InvalidOperationException("No Connections response on the return route.");
        AcceptConnectionResponse(response);
        return response;
    }

    public MessageBuilder CreateConnectionRequest(string endpoint = "didcomm:transport/queue")
    {
        if (Invitation is null) throw new InvalidOperationException("Fetch the invitation first.");
        var doc = LegacyDidDoc.Create(Key.Verkey, [endpoint]);
        Did = doc.Id;
        var request = new MessageBuilder("https://didcomm.org/connections/1.0/request")
            .WithThread(null, (string)Invitation["@id"]!)
            .With("label", Label)
            .With("connection", new ConnectionObject(doc.Id, doc).ToJson());
        HandshakeThreadId = request.Id;
        return request;
    }

    public VerifiedSignatureDecorator AcceptConnectionResponse(ReceivedMessage response)
    {
        if (response.Message.Type.Uri != "https://didcomm.org/connections/1.0/response")
            throw new InvalidOperationException($"Expected a Connections response, got {response.Message}");
        var sig = SignatureDecorator.FromJson(response.Message.Json["connection~sig"]);
        var verified = sig.Verify();
        if (verified.SignerVerkey != InvitationVerkey) throw new InvalidOperationException("connection~sig is not signed by the invitation key.");
        var connection = ConnectionObject.FromJson(verified.Data);
        MediatorDid = connection.Did;
        MediatorServices = DidcommServiceResolver.FromLegacyDidDoc(connection.DidDoc!);
        MediatorVerkey = MediatorServices[0].RecipientKeys[0];
        return verified;
    }

    /// <summary>A trust ping (response requested), for liveness checks over any transport.</summary>
    public static MessageBuilder TrustPing(bool responseRequested = true) =>
        new MessageBuilder("https://didcomm.org/trust_ping/1.0/ping").With("response_requested", responseRequested);
}

/// <summary>A message the wallet received, with its envelope facts (sender key: who packed it).</summary>
public sealed record ReceivedMessage(DidcommMessage Message, UnpackedMessage Unpacked)
{
    public string Type => Message.Type.Uri;

    /// <summary>The problem report's code, if this is one.</summary>
    public string? ProblemCode => Message.Type.MessageName is "problem-report" or "problem_report" ? ProblemReport.FromMessage(Message).Code : null;

    public override string ToString() => Message.ToString();
}

/// <summary>A wallet's WebSocket to the mediator.</summary>
public sealed class TestWalletSocket : IAsyncDisposable
{
    private readonly TestWallet _wallet;

    internal TestWalletSocket(TestWallet wallet, ClientWebSocket socket)
    {
        _wallet = wallet;
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    public Task SendAsync(MessageBuilder message, ReturnRoute returnRoute = ReturnRoute.All, string? to = null, CancellationToken cancellationToken = default) =>
        SendRawAsync(_wallet.Pack(TestWallet.WithReturnRoute(message.ToJson(), returnRoute), to), WebSocketMessageType.Text, cancellationToken);

    public async Task SendRawAsync(byte[] data, WebSocketMessageType type = WebSocketMessageType.Text, CancellationToken cancellationToken = default) =>
        await Socket.SendAsync(data, type, endOfMessage: true, cancellationToken);

    /// <summary>The next message, unpacked; throws <see cref="TimeoutException"/> after <paramref name="timeout"/> and
    /// <see cref="WebSocketClosedException"/> when the mediator closes instead.</summary>
    public async Task<ReceivedMessage> ReceiveAsync(TimeSpan? timeout = null)
    {
        var frame = await ReceiveFrameAsync(timeout);
        return _wallet.Unpack(frame);
    }

    /// <summary>The next complete frame's bytes.</summary>
    public async Task<byte[]> ReceiveFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await Socket.ReceiveAsync(buffer.AsMemory(), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No WebSocket message within {timeout ?? TimeSpan.FromSeconds(30)}.");
            }
            if (result.MessageType == WebSocketMessageType.Close)
                throw new WebSocketClosedException(Socket.CloseStatus, Socket.CloseStatusDescription);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return message.ToArray();
        }
    }

    /// <summary>Waits for the mediator to close the socket; returns its status and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        try
        {
            var unexpected = await ReceiveFrameAsync(timeout);
            throw new InvalidOperationException($"Expected a close, got a message of {unexpected.Length} bytes.");
        }
        catch (WebSocketClosedException e)
        {
            return (e.Status, e.Reason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        Socket.Dispose();
    }
}

public sealed class WebSocketClosedException(WebSocketCloseStatus? status, string? reason)
    : Exception($"The mediator closed the WebSocket ({status}: {reason}).")
{
    public WebSocketCloseStatus? Status { get; } = status;
    public string? Reason { get; } = reason;
}
