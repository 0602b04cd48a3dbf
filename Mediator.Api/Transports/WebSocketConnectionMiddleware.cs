using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Mediator.Api.Agent;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mediator.Api.Transports;

/// <summary>
/// WebSocket upgrades taken at the connection, before Kestrel's HTTP layer. A wallet's live socket is idle for most of its
/// life; upgraded through ASP.NET Core it keeps the whole HTTP/1.1 request for that time (Kestrel's <c>Http1Connection</c>,
/// request and response header collections, the <c>HttpContext</c>, the hosting context and activity, request streams:
/// about 6 KB per socket). Here the first request on a connection is peeked without consuming it: a plain
/// <c>GET / HTTP/1.1</c> (or the WebSocket path) with <c>Upgrade: websocket</c>, <c>Connection: Upgrade</c>,
/// <c>Sec-WebSocket-Version: 13</c> and a valid <c>Sec-WebSocket-Key</c> is answered with 101 here and becomes a
/// WebSocket on the connection's own pipes; anything else (other requests, anything unusual in the head, a head larger
/// than <see cref="MaxHeadBytes"/> or slower than <see cref="HeadTimeout"/>) goes to Kestrel untouched, whose
/// WebSocket endpoint still accepts it.
/// </summary>
internal sealed class WebSocketConnectionMiddleware(IServiceProvider services)
{
    /// <summary>Largest request head taken here (Credo's and browsers' upgrade requests are well under 1 KB).</summary>
    internal const int MaxHeadBytes = 4 * 1024;

    /// <summary>How long the head may take to arrive before the connection is left to Kestrel (and its own timeouts).</summary>
    internal static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] Get = "GET "u8.ToArray();
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private Dependencies? _dependencies;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var dependencies = _dependencies ??= new Dependencies(services);
        if (!dependencies.Transport.UpgradeAtConnection)
        {
            await next(connection).ConfigureAwait(false);
            return;
        }
        var input = connection.Transport.Input;
        string? key = null;
        using (var timeout = new CancellationTokenSource(HeadTimeout))
        {
            try
            {
                while (true)
                {
                    var read = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
                    var buffer = read.Buffer;
                    var head = Peek(buffer, dependencies.Transport.WebSocketPath, out key, out var headLength);
                    if (head == HeadKind.Ours)
                    {
                        input.AdvanceTo(buffer.GetPosition(headLength));
                        break;
                    }
                    if (head == HeadKind.NotOurs || read.IsCompleted || read.IsCanceled)
                    {
                        input.AdvanceTo(buffer.Start);
                        key = null;
                        break;
                    }
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                key = null; // slow: Kestrel's own request timeouts apply from here
            }
        }

        if (key is null)
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        // Accepted here rather than in a method of its own: an idle socket holds this method's state machine for its whole
        // life, and would hold that one's as well.
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
        var response = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n");
        await connection.Transport.Output.WriteAsync(response, connection.ConnectionClosed).ConfigureAwait(false);

        var transport = dependencies.Transport;
        var socket = WebSocket.CreateFromStream(new DuplexPipeStream(connection), new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = transport.WebSocketKeepAliveInterval,
            KeepAliveTimeout = transport.WebSocketKeepAliveTimeout,
        });
        try
        {
            await DidcommTransportEndpoints.RunWebSocketAsync(socket, takenAtConnection: true, dependencies.Sweeper, dependencies.Processor,
                dependencies.MaxMessageBytes, dependencies.Stopping, dependencies.Time, dependencies.Logger).ConfigureAwait(false);
        }
        finally
        {
            var aborted = socket.State == WebSocketState.Aborted;
            socket.Dispose();
            // Aborted (dead peer, close grace over): do not wait for a peer that does not read. Otherwise Kestrel ends the
            // connection gracefully when this returns, after what was sent (e.g. our close frame) has gone out.
            if (aborted) connection.Abort(new ConnectionAbortedException("The WebSocket was aborted."));
        }
    }

    internal enum HeadKind
    {
        NeedMore,
        Ours,
        NotOurs,
    }

    /// <summary>Whether <paramref name="buffer"/> starts with a WebSocket upgrade request head this middleware takes.</summary>
    internal static HeadKind Peek(ReadOnlySequence<byte> buffer, string webSocketPath, out string? key, out long headLength)
    {
        key = null;
        headLength = 0;
        var prefix = Math.Min(buffer.Length, Get.Length);
        Span<byte> start = stackalloc byte[Get.Length];
        buffer.Slice(0, prefix).CopyTo(start);
        if (!Get.AsSpan(0, (int)prefix).SequenceEqual(start[..(int)prefix])) return HeadKind.NotOurs;

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, HeadEnd, advancePastDelimiter: true))
            return buffer.Length > MaxHeadBytes ? HeadKind.NotOurs : HeadKind.NeedMore;
        if (reader.Consumed > MaxHeadBytes) return HeadKind.NotOurs;
        headLength = reader.Consumed;

        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0] != "GET" || requestLine[2] != "HTTP/1.1") return HeadKind.NotOurs;
        var target = requestLine[1];
        if (target != "/" && target != webSocketPath) return HeadKind.NotOurs;

        string? upgrade = null, connection = null, version = null, host = null, webSocketKey = null;
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            // Folded, nameless or odd lines: Kestrel judges them.
            if (colon <= 0 || char.IsWhiteSpace(line[0]) || line.AsSpan(0, colon).ContainsAny(' ', '\t')) return HeadKind.NotOurs;
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)) { if (upgrade is not null) return HeadKind.NotOurs; upgrade = value; }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase)) { if (connection is not null) return HeadKind.NotOurs; connection = value; }
            else if (name.Equals("Sec-WebSocket-Version", StringComparison.OrdinalIgnoreCase)) { if (version is not null) return HeadKind.NotOurs; version = value; }
            else if (name.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase)) { if (webSocketKey is not null) return HeadKind.NotOurs; webSocketKey = value; }
            else if (name.Equals("Host", StringComparison.OrdinalIgnoreCase)) { if (host is not null) return HeadKind.NotOurs; host = value; }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                return HeadKind.NotOurs;
        }

        if (string.IsNullOrEmpty(host) || version != "13" || !HasToken(upgrade, "websocket") || !HasToken(connection, "upgrade"))
            return HeadKind.NotOurs;
        Span<byte> decoded = stackalloc byte[24];
        if (webSocketKey is not { Length: 24 } || !Convert.TryFromBase64String(webSocketKey, decoded, out var length) || length != 16)
            return HeadKind.NotOurs;
        key = webSocketKey;
        return HeadKind.Ours;
    }

    private static bool HasToken(string? value, string token)
    {
        if (value is null) return false;
        foreach (var part in value.Split(','))
        {
            if (part.Trim().Equals(token, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private sealed class Dependencies
    {
        public Dependencies(IServiceProvider services)
        {
            Transport = services.GetRequiredService<IOptions<TransportOptions>>().Value;
            Sweeper = services.GetRequiredService<WebSocketSessionSweeper>();
            Processor = services.GetRequiredService<InboundMessageProcessor>();
            MaxMessageBytes = services.GetRequiredService<IOptions<MediatorOptions>>().Value.MaxMessageBytes;
            Stopping = services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping;
            Time = services.GetRequiredService<TimeProvider>();
            Logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DidcommTransportEndpoints).FullName!);
        }

        public TransportOptions Transport { get; }
        public WebSocketSessionSweeper Sweeper { get; }
        public InboundMessageProcessor Processor { get; }
        public int MaxMessageBytes { get; }
        public CancellationToken Stopping { get; }
        public TimeProvider Time { get; }
        public ILogger Logger { get; }
    }
}
