using System.Net.WebSockets;
using System.Text;
using Mediator.Api.Agent;
using Mediator.Api.Tests.Support;
using Mediator.Api.Transports;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Mediator.Api.Tests.Transports;

public sealed class WebSocketTransportTests
{
    private static async Task<(MediatorTestHost Host, TestWallet Wallet)> ConnectedAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var host = await MediatorTestHost.StartOnNewDatabaseAsync("ws", settings);
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        return (host, wallet);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (cts.IsCancellationRequested) throw new TimeoutException($"Timed out waiting for: {what}");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/ws")]
    public async Task Several_messages_each_way_on_one_socket_with_return_route(string path)
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        await using var socket = await wallet.OpenWebSocketAsync(path);

        var pings = Enumerable.Range(0, 5).Select(_ => TestWallet.TrustPing()).ToList();
        foreach (var ping in pings) await socket.SendAsync(ping);
        var replies = new List<ReceivedMessage>();
        for (var i = 0; i < pings.Count; i++) replies.Add(await socket.ReceiveAsync());

        Assert.All(replies, r => Assert.Equal("https://didcomm.org/trust_ping/1.0/ping_response", r.Type));
        Assert.Equal(pings.Select(p => p.Id), replies.Select(r => r.Message.ThreadId));
    }

    [Fact]
    public async Task A_socket_with_return_route_all_is_the_connections_session_until_it_closes()
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        var registry = host.Services.GetRequiredService<TransportSessionRegistry>();
        var outbound = host.Services.GetRequiredService<IOutboundMessageSender>();
        var connection = (await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None))!;

        var socket = await wallet.OpenWebSocketAsync();
        await socket.SendAsync(TestWallet.TrustPing());
        await socket.ReceiveAsync();
        Assert.True(registry.TryGetSession(connection.Id, out var session));
        Assert.True(session.IsWebSocket);
        Assert.Equal(connection.Id, session.ConnectionId);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session.OnClosed(_ => { closed.TrySetResult(); return Task.CompletedTask; });

        // The mediator sends on its own (not a reply): it goes down the socket.
        var notice = new MessageBuilder("https://didcomm.org/trust_ping/1.0/ping").With("response_requested", false);
        var delivery = await outbound.SendAsync(connection, notice, CancellationToken.None);
        Assert.Equal(DeliveryRoute.Session, delivery.Route);
        var pushed = await socket.ReceiveAsync();
        Assert.Equal(notice.Id, pushed.Message.Id);
        Assert.Equal(wallet.MediatorVerkey, pushed.Unpacked.SenderVerkey);

        // The wallet closes: close callbacks run and the session leaves the registry.
        await socket.DisposeAsync();
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await WaitUntilAsync(() => !registry.TryGetSession(connection.Id, out var _), "the session leaves the registry");
        var after = await outbound.SendAsync(new OutboundMessage(connection, notice.ToJson()) { SessionsOnly = true }, CancellationToken.None);
        Assert.Equal(DeliveryRoute.Undeliverable, after.Route);
    }

    [Fact]
    public async Task A_socket_without_return_route_is_not_registered()
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        var registry = host.Services.GetRequiredService<TransportSessionRegistry>();
        var connection = (await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None))!;
        await using var socket = await wallet.OpenWebSocketAsync();

        await socket.SendAsync(TestWallet.TrustPing(responseRequested: false), ReturnRoute.None);
        await socket.SendAsync(TestWallet.TrustPing(), ReturnRoute.None);
        // A problem report comes back on the socket for a bad message even without return route; use it as a barrier.
        await socket.SendAsync(new MessageBuilder("https://didcomm.org/tictactoe/1.0/move"), ReturnRoute.None);
        Assert.Equal("unsupported-message", (await socket.ReceiveAsync()).ProblemCode);
        Assert.False(registry.TryGetSession(connection.Id, out var _));
    }

    [Fact]
    public async Task A_message_level_error_is_answered_on_the_socket_which_stays_open()
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        await using var socket = await wallet.OpenWebSocketAsync();

        await socket.SendAsync(new MessageBuilder("https://didcomm.org/tictactoe/1.0/move"));
        Assert.Equal("unsupported-message", (await socket.ReceiveAsync()).ProblemCode);
        await socket.SendRawAsync(Mediator.Didcomm.Envelopes.EnvelopePacker.Pack("{\"@type\": 5}", [wallet.MediatorVerkey!], wallet.Key));
        Assert.Equal("message-parse-failure", (await socket.ReceiveAsync()).ProblemCode);

        var ping = TestWallet.TrustPing();
        await socket.SendAsync(ping);
        Assert.Equal(ping.Id, (await socket.ReceiveAsync()).Message.ThreadId);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"@id\": \"1\", \"@type\": \"https://didcomm.org/trust_ping/1.0/ping\"}")]
    public async Task A_bad_envelope_closes_the_socket_with_the_reason(string frame)
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        await using var socket = await wallet.OpenWebSocketAsync();

        await socket.SendRawAsync(Encoding.UTF8.GetBytes(frame));
        var (status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        Assert.StartsWith("MalformedEnvelope", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_envelope_for_someone_else_closes_the_socket()
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        await using var socket = await wallet.OpenWebSocketAsync();
        await socket.SendRawAsync(wallet.Pack(TestWallet.TrustPing(), to: Mediator.Didcomm.Keys.Ed25519KeyPair.Generate().Verkey));
        var (status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        Assert.StartsWith("UnknownRecipient", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_larger_than_the_receive_buffer_in_several_frames_is_assembled_and_answered()
    {
        // The receive loop waits with a zero-byte read and rents its buffer per message: a message spanning several
        // frames and several buffer-fulls, ended by an empty final frame, must arrive whole; the socket then goes on.
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        await using var socket = await wallet.OpenWebSocketAsync();

        var big = TestWallet.TrustPing().With("comment", new string('x', 3 * Microsoft.AspNetCore.Builder.DidcommTransportEndpoints.ReceiveBufferBytes));
        var envelope = wallet.Pack(TestWallet.WithReturnRoute(big.ToJson(), ReturnRoute.All));
        Assert.True(envelope.Length > 3 * Microsoft.AspNetCore.Builder.DidcommTransportEndpoints.ReceiveBufferBytes);
        const int frame = 7_001;
        for (var offset = 0; offset < envelope.Length; offset += frame)
        {
            var part = envelope.AsMemory(offset, Math.Min(frame, envelope.Length - offset));
            await socket.Socket.SendAsync(part, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        }
        await socket.Socket.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        Assert.Equal(big.Id, (await socket.ReceiveAsync()).Message.ThreadId);

        // A small message in one frame (the common case: no assembly) on the same socket.
        var ping = TestWallet.TrustPing();
        await socket.SendAsync(ping);
        Assert.Equal(ping.Id, (await socket.ReceiveAsync()).Message.ThreadId);
    }

    [Fact]
    public async Task An_empty_message_closes_the_socket_as_a_malformed_envelope()
    {
        var (host, wallet) = await ConnectedAsync();
        await using var _ = host;
        await using var socket = await wallet.OpenWebSocketAsync();

        await socket.SendRawAsync([]);
        var (status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        Assert.False(string.IsNullOrEmpty(reason));
    }

    [Fact]
    public async Task An_oversized_message_closes_the_socket_with_message_too_big()
    {
        var (host, wallet) = await ConnectedAsync(new Dictionary<string, string?> { ["Mediator:MaxMessageBytes"] = "8192" });
        await using var _ = host;
        await using var socket = await wallet.OpenWebSocketAsync();

        await socket.SendRawAsync(new byte[50_000]);
        var (status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Contains("8192", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_socket_is_closed_and_its_session_callbacks_run()
    {
        var (host, wallet) = await ConnectedAsync(new Dictionary<string, string?> { ["Mediator:Transports:WebSocketIdleTimeout"] = "00:00:01" });
        await using var _ = host;
        var registry = host.Services.GetRequiredService<TransportSessionRegistry>();
        var connection = (await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None))!;
        await using var socket = await wallet.OpenWebSocketAsync();
        await socket.SendAsync(TestWallet.TrustPing());
        await socket.ReceiveAsync();
        Assert.True(registry.TryGetSession(connection.Id, out var session));

        var (status, reason) = await socket.ReceiveCloseAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal("idle timeout", reason);
        await WaitUntilAsync(() => !session.IsOpen, "the session closes");
        await WaitUntilAsync(() => registry.GetSessions(connection.Id).Count == 0, "the session leaves the registry");
    }
}

public sealed class WebSocketKeepAliveTests
{
    /// <summary>
    /// A half-open socket: the peer completed the upgrade and sent one message, then never reads again (so never answers
    /// the mediator's pings). The mediator must notice within the keep-alive timeout, close the session and run its callbacks.
    /// </summary>
    [Fact]
    public async Task A_peer_that_stops_answering_pings_is_dropped_and_its_session_closed()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ws", new Dictionary<string, string?>
        {
            ["Mediator:Transports:WebSocketKeepAliveInterval"] = "00:00:01",
            ["Mediator:Transports:WebSocketKeepAliveTimeout"] = "00:00:01",
        });
        var (tcp, registry, connectionId, session, closed) = await OpenSilentPeerAsync(host);
        using var peer = tcp;

        // From now on nothing is read: pings go unanswered.
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(session.IsOpen);
        Assert.False(registry.TryGetSession(connectionId, out _));
    }

    /// <summary>A wallet connected with DID Exchange whose WebSocket (raw TCP, upgraded by hand) has become its
    /// connection's session after one ping with return_route all, and which then reads nothing.</summary>
    private static async Task<(System.Net.Sockets.TcpClient Tcp, TransportSessionRegistry Registry, Guid ConnectionId, ITransportSession Session, TaskCompletionSource Closed)>
        OpenSilentPeerAsync(MediatorTestHost host)
    {
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        var registry = host.Services.GetRequiredService<TransportSessionRegistry>();
        var connection = (await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None))!;

        var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, host.HttpEndpoint.Port);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var upgrade = $"GET / HTTP/1.1\r\nHost: 127.0.0.1:{host.HttpEndpoint.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(upgrade));
        var head = new byte[1024];
        var read = await stream.ReadAsync(head);
        Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString(head, 0, read), StringComparison.Ordinal);

        // One masked text frame with a ping asking for return_route all: the socket becomes the connection's session.
        var envelope = wallet.Pack(TestWallet.WithReturnRoute(TestWallet.TrustPing(responseRequested: false).ToJson(), ReturnRoute.All));
        await stream.WriteAsync(MaskedTextFrame(envelope));
        ITransportSession? session = null;
        await WaitAsync(() => registry.TryGetSession(connection.Id, out session), "the session is registered");
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session!.OnClosed(_ => { closed.TrySetResult(); return Task.CompletedTask; });
        return (tcp, registry, connection.Id, session, closed);
    }

    /// <summary>
    /// An idle socket whose peer never answers the idle close (it reads nothing; pings are far apart): the sweeper closes
    /// it at the idle timeout and aborts it after the close grace, which ends its receive loop and closes its session.
    /// </summary>
    [Fact]
    public async Task An_idle_peer_that_ignores_the_close_is_aborted_after_the_grace_and_its_session_closed()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ws", new Dictionary<string, string?>
        {
            ["Mediator:Transports:WebSocketIdleTimeout"] = "00:00:01",
            ["Mediator:Transports:WebSocketKeepAliveInterval"] = "00:10:00",
            ["Mediator:Transports:WebSocketKeepAliveTimeout"] = "00:10:00",
        });
        var (tcp, registry, connectionId, session, closed) = await OpenSilentPeerAsync(host);
        using var peer = tcp;
        var registeredAt = DateTimeOffset.UtcNow;

        // Nothing is read or answered from now on: the idle close (after ~1 s) goes unanswered, the abort follows the grace.
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var after = DateTimeOffset.UtcNow - registeredAt;
        Assert.True(after >= TimeSpan.FromSeconds(3), $"The session closed after {after}, before the close grace had passed.");
        Assert.False(session.IsOpen);
        Assert.False(registry.TryGetSession(connectionId, out _));
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (cts.IsCancellationRequested) throw new TimeoutException($"Timed out waiting for: {what}");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static byte[] MaskedTextFrame(byte[] payload)
    {
        using var frame = new MemoryStream();
        frame.WriteByte(0x81); // FIN + text
        if (payload.Length < 126)
        {
            frame.WriteByte((byte)(0x80 | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame.WriteByte(0x80 | 126);
            frame.WriteByte((byte)(payload.Length >> 8));
            frame.WriteByte((byte)payload.Length);
        }
        else
        {
            frame.WriteByte(0x80 | 127);
            for (var i = 7; i >= 0; i--) frame.WriteByte((byte)((long)payload.Length >> (8 * i)));
        }
        var mask = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4);
        frame.Write(mask);
        for (var i = 0; i < payload.Length; i++) frame.WriteByte((byte)(payload[i] ^ mask[i % 4]));
        return frame.ToArray();
    }
}

public sealed class WebSocketReturnRouteTests
{
    [Fact]
    public async Task Return_route_all_sticks_to_the_socket_after_a_message_with_none()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ws");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        var registry = host.Services.GetRequiredService<TransportSessionRegistry>();
        var outbound = host.Services.GetRequiredService<IOutboundMessageSender>();
        var connection = (await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None))!;
        await using var socket = await wallet.OpenWebSocketAsync();

        await socket.SendAsync(TestWallet.TrustPing());
        await socket.ReceiveAsync();
        // A message with return_route none on the same socket (Credo's complete does this); its reply still comes here,
        // because the socket is the connection's session.
        var ping = TestWallet.TrustPing();
        await socket.SendAsync(ping, ReturnRoute.None);
        Assert.Equal(ping.Id, (await socket.ReceiveAsync()).Message.ThreadId);
        Assert.True(registry.TryGetSession(connection.Id, out var session));
        Assert.Equal(ReturnRoute.All, session.ReturnRoute);
        var delivery = await outbound.SendAsync(new OutboundMessage(connection, TestWallet.TrustPing(false).ToJson()) { SessionsOnly = true }, CancellationToken.None);
        Assert.Equal(DeliveryRoute.Session, delivery.Route);
        await socket.ReceiveAsync();
    }
}

public sealed class WebSocketShutdownTests
{
    [Fact]
    public async Task Stopping_the_replica_closes_its_sockets_with_going_away_and_runs_session_callbacks()
    {
        var host = await MediatorTestHost.StartOnNewDatabaseAsync("ws");
        try
        {
            var wallet = new TestWallet(host);
            await wallet.GetInvitationAsync();
            await wallet.ConnectWithDidExchangeAsync();
            var registry = host.Services.GetRequiredService<TransportSessionRegistry>();
            var connection = (await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None))!;
            await using var socket = await wallet.OpenWebSocketAsync();
            await socket.SendAsync(TestWallet.TrustPing());
            await socket.ReceiveAsync();
            Assert.True(registry.TryGetSession(connection.Id, out var session));
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            session.OnClosed(_ => { closed.TrySetResult(); return Task.CompletedTask; });

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            var stop = host.DisposeAsync().AsTask();
            var (status, reason) = await socket.ReceiveCloseAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
            Assert.Equal("replica shutting down", reason);
            await socket.DisposeAsync();
            await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await stop.WaitAsync(TimeSpan.FromSeconds(25));
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"stopping took {stopwatch.Elapsed}");
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}

public sealed class WebSocketDropTests
{
    [Fact]
    public async Task A_message_sent_just_before_the_wallet_drops_the_socket_is_still_processed()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ws");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        var request = wallet.CreateDidExchangeRequest();
        await using var socket = await wallet.OpenWebSocketAsync();

        await socket.SendAsync(request, ReturnRoute.All, wallet.InvitationVerkey);
        // The wallet leaves right after sending: its close frame follows the message, and it never reads the response.
        // (An abort, a TCP reset, right after the send cannot be tested reliably: whether the server reads the frame
        // before the reset arrives is the kernel's and Kestrel's timing, and Kestrel discards unread input on a reset.)
        await socket.Socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "gone", CancellationToken.None);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        Mediator.Api.State.ConnectionRecord? connection = null;
        while (connection is null)
        {
            cts.Token.ThrowIfCancellationRequested();
            connection = await host.Connections.FindByThreadIdAsync(request.Id, CancellationToken.None);
            if (connection is null) await Task.Delay(50, CancellationToken.None);
        }
        Assert.Equal(wallet.Did, connection.TheirDid);
    }
}

public sealed class WebSocketTracingTests
{
    /// <summary>
    /// The upgrade request of a socket lives as long as the socket: it is not the parent of what happens on the socket
    /// (nor kept as a span). Each message received on the socket is the root of its own trace.
    /// </summary>
    [Fact]
    public async Task Each_message_on_a_socket_starts_its_own_trace_instead_of_joining_the_upgrade_request()
    {
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name is "Mediator.Api" or "Microsoft.AspNetCore",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ws");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        var connection = (await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None))!;
        await using var socket = await wallet.OpenWebSocketAsync();
        for (var i = 0; i < 2; i++)
        {
            await socket.SendAsync(TestWallet.TrustPing());
            await socket.ReceiveAsync();
        }

        List<System.Diagnostics.Activity> OnSocket() => [.. stopped.Where(a => a.OperationName == "didcomm inbound"
            && a.GetTagItem("didcomm.transport") as string == nameof(TransportKind.WebSocket)
            && a.GetTagItem("didcomm.connection_id") is Guid id && id == connection.Id)];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (OnSocket().Count < 2)
        {
            cts.Token.ThrowIfCancellationRequested();
            await Task.Delay(20, CancellationToken.None);
        }

        var inbound = OnSocket();
        Assert.Equal(2, inbound.Count);
        Assert.All(inbound, a => Assert.Equal(default, a.ParentSpanId));
        Assert.NotEqual(inbound[0].TraceId, inbound[1].TraceId);
    }

    [Theory]
    [InlineData("GET", "websocket", true)]
    [InlineData("GET", "WebSocket", true)]
    [InlineData("GET", null, false)]
    [InlineData("POST", "websocket", false)]
    [InlineData("GET", "h2c", false)]
    public void Tracing_recognises_a_websocket_upgrade_from_the_request(string method, string? upgrade, bool expected)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Method = method;
        if (upgrade is not null) context.Request.Headers.Upgrade = upgrade;
        Assert.Equal(expected, Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.IsWebSocketUpgrade(context));
    }
}

public sealed class WebSocketConnectionMiddlewareTests
{
    private const string Upgrade = "GET {0} HTTP/1.1\r\nHost: 127.0.0.1:5080\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
                                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{1}\r\n";

    private static WebSocketConnectionMiddleware.HeadKind Peek(string head, out string? key, out long length) =>
        WebSocketConnectionMiddleware.Peek(new System.Buffers.ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(head)), "/ws", out key, out length);

    [Theory]
    [InlineData("/")]
    [InlineData("/ws")]
    public void A_plain_upgrade_request_head_is_taken_with_its_key_and_length(string path)
    {
        var head = string.Format(System.Globalization.CultureInfo.InvariantCulture, Upgrade, path, "");
        Assert.Equal(WebSocketConnectionMiddleware.HeadKind.Ours, Peek(head + "frame bytes", out var key, out var length));
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", key);
        Assert.Equal(Encoding.Latin1.GetByteCount(head), length);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nUpgr")]
    [InlineData("GE")]
    public void A_partial_head_needs_more(string head) =>
        Assert.Equal(WebSocketConnectionMiddleware.HeadKind.NeedMore, Peek(head, out _, out _));

    [Theory]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("GET /invitation HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("GET /?x=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nhello")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")]
    public void Anything_else_is_left_to_kestrel(string head) =>
        Assert.Equal(WebSocketConnectionMiddleware.HeadKind.NotOurs, Peek(head, out _, out _));

    [Fact]
    public void A_head_larger_than_the_limit_is_left_to_kestrel()
    {
        var head = string.Format(System.Globalization.CultureInfo.InvariantCulture, Upgrade, "/",
            "X-Padding: " + new string('x', WebSocketConnectionMiddleware.MaxHeadBytes) + "\r\n");
        Assert.Equal(WebSocketConnectionMiddleware.HeadKind.NotOurs, Peek(head, out _, out _));
        Assert.Equal(WebSocketConnectionMiddleware.HeadKind.NotOurs, Peek(head[..(WebSocketConnectionMiddleware.MaxHeadBytes + 10)], out _, out _));
    }

    /// <summary>A wallet's upgrade is taken at the connection; one the middleware leaves alone (here a query string) still
    /// works through Kestrel's WebSocket endpoint; both carry messages with return routes.</summary>
    [Theory]
    [InlineData("/", true, true)]
    [InlineData("/ws", true, true)]
    [InlineData("/?via=kestrel", true, false)]
    [InlineData("/", false, false)] // Mediator:Transports:UpgradeAtConnection=false (on by default): every upgrade through ASP.NET Core
    public async Task Upgrades_are_taken_at_the_connection_and_the_rest_still_work_through_kestrel(string path, bool enabled, bool atConnection)
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ws",
            new Dictionary<string, string?> { ["Mediator:Transports:UpgradeAtConnection"] = enabled ? "true" : "false" });
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        var registry = host.Services.GetRequiredService<TransportSessionRegistry>();
        var connection = (await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None))!;

        await using var socket = await wallet.OpenWebSocketAsync(path);
        var ping = TestWallet.TrustPing();
        await socket.SendAsync(ping);
        Assert.Equal(ping.Id, (await socket.ReceiveAsync()).Message.ThreadId);

        Assert.True(registry.TryGetSession(connection.Id, out var session));
        Assert.Equal(atConnection, ((WebSocketTransportSession)session).TakenAtConnection);
    }
}
