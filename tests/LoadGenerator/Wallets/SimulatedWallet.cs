using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;

namespace LoadGenerator.Wallets;

/// <summary>A message the wallet got from the mediator, unpacked.</summary>
public sealed record WalletInbound(DidcommMessage Message, long ReceivedTimestamp);

/// <summary>
/// One simulated mobile wallet, doing what a Credo 0.5 wallet does with its mediator: invitation, DID Exchange 1.1
/// (did:peer:1 with a signed did_doc~attach, return_route all), mediate-request -> grant, keylist-update adding its own
/// recipient key, then a WebSocket with Message Pickup 2.0 (status-request, live-delivery-change, delivery-request) on
/// which each <c>delivery</c> is acknowledged with <c>messages-received</c>. Real envelopes and real keys throughout.
/// </summary>
public sealed class SimulatedWallet : IAsyncDisposable
{
    public const string EnvelopeContentType = "application/didcomm-envelope-enc";

    private readonly HttpClient _http;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Channel<WalletInbound> _control = Channel.CreateUnbounded<WalletInbound>();
    private readonly Action<SimulatedWallet, string, long> _onPayload;
    private ClientWebSocket? _socket;
    private Task? _receiveLoop;
    private CancellationTokenSource? _receiveStop;
    private long _deliveries;
    private long _attachments;
    private volatile bool _discardControl;

    /// <param name="onPayload">Called for each delivered load message: (wallet, content, received Stopwatch timestamp).</param>
    public SimulatedWallet(int index, Uri setupEndpoint, Uri webSocketEndpoint, HttpClient http, Action<SimulatedWallet, string, long> onPayload)
    {
        Index = index;
        SetupEndpoint = setupEndpoint;
        WebSocketEndpoint = webSocketEndpoint;
        _http = http;
        _onPayload = onPayload;
    }

    public int Index { get; }

    /// <summary>Acknowledge live deliveries with messages-received over HTTP POST (return_route all) instead of the
    /// socket, as a Credo wallet does when the mediator advertises its HTTP endpoint first.</summary>
    public bool AcknowledgeOverHttp { get; init; }
    public Uri SetupEndpoint { get; }
    public Uri WebSocketEndpoint { get; }
    public string Label => $"loadgen-wallet-{Index}";

    /// <summary>The connection key (handshake, authcrypt sender of everything the wallet sends).</summary>
    public Ed25519KeyPair ConnectionKey { get; } = Ed25519KeyPair.Generate();

    /// <summary>The key senders address forwards to (added to the keylist), as a Credo wallet makes for an invitation.</summary>
    public Ed25519KeyPair RecipientKey { get; } = Ed25519KeyPair.Generate();

    public string? MediatorVerkey { get; private set; }
    public string? RoutingVerkey { get; private set; }
    public string? GrantEndpoint { get; private set; }
    public bool RoutingKeysAreDidKeys { get; private set; }
    public long DeliveryMessages => Interlocked.Read(ref _deliveries);
    public long DeliveredAttachments => Interlocked.Read(ref _attachments);
    public bool SocketOpen => _socket?.State == WebSocketState.Open;

    /// <summary>Problem reports and unexpected messages, for the report.</summary>
    public List<string> Problems { get; } = [];

    // ---------------------------------------------------------------- setup over HTTP

    /// <summary>Invitation, DID Exchange, mediation grant and keylist-update, each reply on the HTTP response.</summary>
    public async Task SetupAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await RequestMediationAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The mediator's DID from the DID Exchange response, once connected.</summary>
    public string? MediatorDid { get; private set; }

    /// <summary>GET /invitation, then DID Exchange 1.1 (request, response verified, complete).</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var body = await _http.GetStringAsync(new Uri(SetupEndpoint, "invitation"), cancellationToken).ConfigureAwait(false);
        var invitation = (JsonNode.Parse(body) as JsonObject)?["invitation"] as JsonObject
            ?? throw new InvalidOperationException($"GET /invitation did not return {{invitation}}: {Shorten(body)}");
        var invitationKey = WalletMessages.ToVerkey(invitation["services"]?[0]?["recipientKeys"]?[0]?.GetValue<string>()
            ?? throw new InvalidOperationException("The invitation has no services[0].recipientKeys[0]."));
        var invitationId = invitation["@id"]?.GetValue<string>() ?? throw new InvalidOperationException("The invitation has no @id.");

        // DID Exchange 1.1, as Credo's requester: did:peer:1 + signed did_doc~attach, queue endpoint (no inbound transport).
        var document = PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#inline-0", "didcomm:transport/queue", [ConnectionKey.GetPublicKeyBytes()], [])]);
        var did = PeerDid.AssignNumAlgo1(document);
        var request = new MessageBuilder("https://didcomm.org/didexchange/1.1/request")
            .WithThread(null, invitationId)
            .With("label", Label)
            .With("goal_code", "aries.vc.mediate")
            .With("did", did)
            .WithAttachment(DidExchangeDids.DidDocAttach, AttachmentJws.SignJson(document.ToJson(), [ConnectionKey]))
            .WithReturnRoute(ReturnRoute.All);
        var response = await PostExpectingReplyAsync(request, invitationKey, cancellationToken).ConfigureAwait(false);
        Expect(response, "https://didcomm.org/didexchange/1.1/response");
        if (response.ThreadId != request.Id) throw new InvalidOperationException($"DID Exchange response thid {response.ThreadId}, request {request.Id}.");
        var theirs = DidExchangeDids.Read(response, [invitationKey]);
        MediatorVerkey = theirs.Services.Count > 0 && theirs.Services[0].RecipientKeys.Count > 0
            ? theirs.Services[0].RecipientKeys[0]
            : throw new InvalidOperationException("The mediator's DID document has no DIDComm service with a recipient key.");
        MediatorDid = theirs.Did;
        var complete = new MessageBuilder("https://didcomm.org/didexchange/1.1/complete").WithThread(request.Id, invitationId);
        var none = await PostAsync(complete, MediatorVerkey, cancellationToken).ConfigureAwait(false);
        if (none is not null) throw new InvalidOperationException($"{Label}: unexpected answer to complete: {Shorten(none.ToString())}");
    }

    /// <summary>mediate-request -> mediate-grant, then keylist-update adding <see cref="RecipientKey"/>.</summary>
    public async Task RequestMediationAsync(CancellationToken cancellationToken)
    {
        if (MediatorVerkey is null) throw new InvalidOperationException("Connect first.");

        var grant = await PostExpectingReplyAsync(WalletMessages.MediateRequest(), MediatorVerkey, cancellationToken).ConfigureAwait(false);
        Expect(grant, WalletMessages.MediateGrantType);
        GrantEndpoint = grant.GetString("endpoint");
        var routingKeys = grant.GetStringArray("routing_keys") ?? [];
        RoutingKeysAreDidKeys = routingKeys.Any(DidKey.IsDidKey);
        // No routing key: forwards go to the mediator's connection key, as Credo then does.
        RoutingVerkey = routingKeys.Count > 0 ? WalletMessages.ToVerkey(routingKeys[0]) : MediatorVerkey;

        var recipientKey = RoutingKeysAreDidKeys ? RecipientKey.DidKey : RecipientKey.Verkey;
        var updated = await PostExpectingReplyAsync(WalletMessages.KeylistAdd(recipientKey), MediatorVerkey, cancellationToken).ConfigureAwait(false);
        Expect(updated, WalletMessages.KeylistUpdateResponseType);
        var result = updated.GetArray("updated")?[0]?["result"]?.GetValue<string>();
        if (result != "success") throw new InvalidOperationException($"keylist-update result '{result}': {Shorten(updated.ToString())}");
    }

    // ---------------------------------------------------------------- WebSocket and pickup 2.0

    public async Task OpenSocketAsync(CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // like Credo: the server pings, the client only answers
        await socket.ConnectAsync(WebSocketEndpoint, cancellationToken).ConfigureAwait(false);
        _socket = socket;
        _receiveStop = new CancellationTokenSource();
        _receiveLoop = Task.Run(() => ReceiveLoopAsync(socket, _receiveStop.Token), CancellationToken.None);
    }

    /// <summary>status-request, then live-delivery-change true; returns when the mediator's status says live_delivery true.</summary>
    public async Task EnableLiveDeliveryAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await SendOnSocketAsync(WalletMessages.StatusRequest(), cancellationToken).ConfigureAwait(false);
        await WaitForStatusAsync(timeout, cancellationToken).ConfigureAwait(false);
        var change = WalletMessages.LiveDeliveryChange(true);
        await SendOnSocketAsync(change, cancellationToken).ConfigureAwait(false);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var remaining = timeout - deadline.Elapsed;
            if (remaining <= TimeSpan.Zero) throw new TimeoutException($"{Label}: no status with live_delivery true within {timeout}.");
            var status = await WaitForStatusAsync(remaining, cancellationToken).ConfigureAwait(false);
            if (status.GetBoolean("live_delivery") == true)
            {
                // From now on statuses answer our acknowledgements: nobody waits for them.
                _discardControl = true;
                return;
            }
        }
    }

    /// <summary>
    /// Offline pickup: delivery-request (limit <paramref name="batch"/>) until the mediator's status says nothing is left;
    /// each delivery is acknowledged by the receive loop. Returns the number of delivery-requests sent.
    /// </summary>
    public async Task<int> PickUpAllAsync(int batch, TimeSpan roundTimeout, int maxRounds, CancellationToken cancellationToken)
    {
        for (var round = 1; round <= maxRounds; round++)
        {
            var before = DeliveryMessages;
            await SendOnSocketAsync(WalletMessages.DeliveryRequest(batch), cancellationToken).ConfigureAwait(false);
            var status = await WaitForStatusAsync(roundTimeout, cancellationToken).ConfigureAwait(false);
            var count = status.GetInteger("message_count") ?? 0;
            if (count <= 0 && DeliveryMessages == before) return round;
            if (count <= 0)
            {
                // The status answering our messages-received: ask once more to see the queue empty.
                continue;
            }
        }
        throw new InvalidOperationException($"{Label}: queue not empty after {maxRounds} delivery-requests.");
    }

    private async Task<DidcommMessage> WaitForStatusAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var inbound = await _control.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
                if (inbound.Message.Type.Uri == WalletMessages.StatusType) return inbound.Message;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Label}: no pickup status within {timeout}{(SocketOpen ? "" : " (socket closed)")}.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"{Label}: the WebSocket closed while waiting for a status.");
        }
    }

    private async Task ReceiveLoopAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var frame = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open && !cancellationToken.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) break;
                frame.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                var received = Stopwatch.GetTimestamp();
                var bytes = frame.ToArray();
                frame.SetLength(0);
                await HandleFrameAsync(bytes, received, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Socket gone or stopping.
        }
        finally
        {
            _control.Writer.TryComplete();
        }
    }

    private async Task HandleFrameAsync(byte[] envelope, long receivedTimestamp, CancellationToken cancellationToken)
    {
        DidcommMessage message;
        try
        {
            var unpacked = EnvelopeUnpacker.Unpack(envelope, ConnectionKey);
            message = DidcommMessage.Parse(unpacked.Plaintext.Span);
        }
        catch (Exception e) when (e is EnvelopeException or MalformedMessageException)
        {
            AddProblem($"unreadable frame from the mediator: {e.Message}");
            return;
        }
        if (message.Type.Uri != WalletMessages.DeliveryType)
        {
            if (message.Type.MessageName is "problem-report" or "problem_report") AddProblem($"problem report: {Shorten(message.ToString())}");
            if (!_discardControl) _control.Writer.TryWrite(new WalletInbound(message, receivedTimestamp));
            return;
        }
        Interlocked.Increment(ref _deliveries);
        var ids = new List<string>();
        foreach (var attachment in message.GetAttachments("~attach"))
        {
            ids.Add(attachment.Id);
            Interlocked.Increment(ref _attachments);
            try
            {
                var inner = EnvelopeUnpacker.Unpack(attachment.GetBytes(), RecipientKey);
                var basic = DidcommMessage.Parse(inner.Plaintext.Span);
                _onPayload(this, basic.GetString("content") ?? "", receivedTimestamp);
            }
            catch (Exception e) when (e is EnvelopeException or MalformedMessageException)
            {
                AddProblem($"undecryptable delivered message {attachment.Id}: {e.Message}");
            }
        }
        // Acknowledge at once, as Credo does (after queueing, before processing). The mediator answers with a status.
        if (AcknowledgeOverHttp && _discardControl)
        {
            try
            {
                await PostAsync(WalletMessages.MessagesReceived(ids), MediatorVerkey!, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                AddProblem($"messages-received over HTTP failed: {e.Message}");
            }
        }
        else
        {
            await SendOnSocketAsync(WalletMessages.MessagesReceived(ids), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendOnSocketAsync(MessageBuilder message, CancellationToken cancellationToken)
    {
        var socket = _socket ?? throw new InvalidOperationException("Open the WebSocket first.");
        var envelope = EnvelopePacker.Pack(message.ToUtf8Bytes(), [MediatorVerkey!], ConnectionKey);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(envelope, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task CloseSocketAsync()
    {
        var socket = _socket;
        if (socket is null) return;
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        if (_receiveStop is not null)
        {
            _receiveStop.CancelAfter(TimeSpan.FromSeconds(5));
            if (_receiveLoop is not null) await _receiveLoop.ConfigureAwait(false);
            _receiveStop.Dispose();
            _receiveStop = null;
        }
        socket.Dispose();
        _socket = null;
    }

    // ---------------------------------------------------------------- HTTP

    private async Task<DidcommMessage> PostExpectingReplyAsync(MessageBuilder message, string to, CancellationToken cancellationToken) =>
        await PostAsync(message, to, cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"{Label}: no reply to {message.Type.Uri} on the HTTP response.");

    private async Task<DidcommMessage?> PostAsync(MessageBuilder message, string to, CancellationToken cancellationToken)
    {
        var envelope = EnvelopePacker.Pack(message.ToUtf8Bytes(), [to], ConnectionKey);
        using var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeContentType);
        using var response = await _http.PostAsync(SetupEndpoint, content, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{Label}: {message.Type.Uri} -> {(int)response.StatusCode}: {Shorten(WalletMessages.Utf8(body))}", null, response.StatusCode);
        if (body.Length == 0) return null;
        var unpacked = EnvelopeUnpacker.Unpack(body, ConnectionKey);
        return DidcommMessage.Parse(unpacked.Plaintext.Span);
    }

    private static void Expect(DidcommMessage message, string type)
    {
        if (message.Type.Uri != type)
            throw new InvalidOperationException($"Expected {type}, got {Shorten(message.ToString())}");
    }

    private void AddProblem(string problem)
    {
        lock (Problems)
        {
            if (Problems.Count < 20) Problems.Add(problem);
        }
    }

    internal static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "...";

    public async ValueTask DisposeAsync()
    {
        await CloseSocketAsync().ConfigureAwait(false);
        _sendLock.Dispose();
    }
}
