using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using Mediator.Api.Agent;
using Mediator.Api.Transports;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The DIDComm inbound transports on the app's own port: HTTP POST <c>/</c> (an envelope in, the return-routed reply
/// out) and WebSocket upgrades on <c>/</c> and <c>/ws</c>.
/// </summary>
public static class DidcommTransportEndpoints
{
    /// <summary>Adds the WebSocket middleware and maps the transports.</summary>
    public static WebApplication MapDidcommTransports(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.Services;
        var transportOptions = services.GetRequiredService<IOptions<TransportOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DidcommTransportEndpoints).FullName!);
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        var processor = services.GetRequiredService<InboundMessageProcessor>();
        var maxMessageBytes = services.GetRequiredService<IOptions<MediatorOptions>>().Value.MaxMessageBytes;
        // Shared with the connection-level upgrade path when it is on (AddDidcommWebSocketConnections); on shutdown,
        // WebSocketShutdown closes every socket before the server stops.
        var sweeper = services.GetRequiredService<WebSocketSessionSweeper>();

        // A plain request delegate (no parameter binding): each socket holds only its own request's state while idle.
        RequestDelegate webSocket = http => ReceiveWebSocketAsync(http, sweeper, processor, maxMessageBytes, transportOptions,
            lifetime.ApplicationStopping, time, logger);
        app.UseWebSockets();
        app.MapPost("/", ReceiveHttpAsync).WithName("DidcommHttpInbound").DisableAntiforgery();
        app.MapGet("/", webSocket).WithName("DidcommWebSocketInbound");
        if (transportOptions.WebSocketPath is { Length: > 1 } path && path != "/")
            app.MapGet(path, webSocket).WithName("DidcommWebSocketInboundPath");
        return app;
    }

    /// <summary>POST /: 200 with the reply envelope (return route), 202 with no reply, 400/413/415 with the reason as text, 500 when we failed.</summary>
    public static async Task<IResult> ReceiveHttpAsync(HttpContext http, InboundMessageProcessor processor,
        IOptions<MediatorOptions> options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(typeof(DidcommTransportEndpoints).FullName!);
        var cancellationToken = http.RequestAborted;
        if (!IsAcceptedContentType(http.Request.ContentType))
        {
            return Reject(logger, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{http.Request.ContentType ?? "(none)"}' is not accepted; send {string.Join(", ", DidcommMediaTypes.Accepted)}.");
        }

        var max = options.Value.MaxMessageBytes;
        if (http.Request.ContentLength > max)
            return Reject(logger, StatusCodes.Status413PayloadTooLarge, $"The body has {http.Request.ContentLength} bytes; the limit is {max}.");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = max + 1L;

        byte[] body;
        try
        {
            body = await ReadBodyAsync(http.Request.Body, http.Request.ContentLength, max, cancellationToken).ConfigureAwait(false);
            if (body.Length == 0)
                return Reject(logger, StatusCodes.Status400BadRequest, "The body is empty; POST a DIDComm v1 envelope.");
        }
        catch (PayloadTooLargeException)
        {
            return Reject(logger, StatusCodes.Status413PayloadTooLarge, $"The body exceeds the limit of {max} bytes.");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Reject(logger, StatusCodes.Status413PayloadTooLarge, $"The body exceeds the limit of {max} bytes.");
        }

        var session = new HttpTransportSession(time, logger);
        try
        {
            var result = await processor.ProcessAsync(body, session, cancellationToken).ConfigureAwait(false);
            if (session.Response is { } reply)
                return Results.Bytes(reply, DidcommMediaTypes.EnvelopeEncrypted);
            return result.Error switch
            {
                InboundError.None => Results.Accepted(),
                InboundError.TooLarge => Reject(logger, StatusCodes.Status413PayloadTooLarge, result.Reason!),
                InboundError.InternalError => Results.Text(result.Reason, "text/plain", statusCode: StatusCodes.Status500InternalServerError),
                // A rejected or unsupported message whose problem report went elsewhere (the connection's endpoint) was still received.
                InboundError.Rejected or InboundError.UnsupportedMessageType when session.ConnectionId is not null => Results.Accepted(),
                _ => Reject(logger, StatusCodes.Status400BadRequest, result.Reason ?? result.Error.ToString()),
            };
        }
        finally
        {
            await session.CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// GET / or /ws with a WebSocket upgrade: many envelopes each way; anything else is 400. Idle timeout, close grace and
    /// shutdown are handled for every socket by one <see cref="WebSocketSessionSweeper"/>.
    /// </summary>
    private static async Task ReceiveWebSocketAsync(HttpContext http, WebSocketSessionSweeper sweeper, InboundMessageProcessor processor,
        int maxMessageBytes, TransportOptions transport, CancellationToken stopping, TimeProvider time, ILogger logger)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await Reject(logger, StatusCodes.Status400BadRequest, "Expected a WebSocket upgrade, or POST a DIDComm envelope to /.")
                .ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = transport.WebSocketKeepAliveInterval,
            KeepAliveTimeout = transport.WebSocketKeepAliveTimeout,
        }).ConfigureAwait(false);
        // The upgrade request is not traced (ServiceDefaults filters WebSocket upgrades: it would be a span as long as the
        // socket, kept in memory all that time). Each inbound message starts its own trace ("didcomm inbound" as a root),
        // and nothing started from here (the live delivery loop) keeps the request's activity alive.
        Activity.Current = null;
        await RunWebSocketAsync(socket, takenAtConnection: false, sweeper, processor, maxMessageBytes, stopping, time, logger).ConfigureAwait(false);
    }

    /// <summary>One accepted WebSocket, from either path (this endpoint, or <see cref="WebSocketConnectionMiddleware"/>), until it ends.</summary>
    internal static async Task RunWebSocketAsync(WebSocket socket, bool takenAtConnection, WebSocketSessionSweeper sweeper,
        InboundMessageProcessor processor, int maxMessageBytes, CancellationToken stopping, TimeProvider time, ILogger logger)
    {
        var session = new WebSocketTransportSession(socket, time, logger) { TakenAtConnection = takenAtConnection };
        TransportLog.WebSocketOpened(logger, session.Id);
        sweeper.Add(session);
        var endReason = "closed by the wallet";
        try
        {
            while (true)
            {
                // An idle live session spends nearly all its life in this wait, the only state machine of ours it holds
                // then: a zero-byte receive, which completes when the next data frame's header has arrived, without a
                // buffer (ping/pong and close frames are handled inside it). No cancellation token: the sweeper aborts
                // the socket (idle close grace, shutdown), which ends this wait, and a token would register a callback
                // per idle socket.
                var received = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                // A message fully received is processed even if the wallet goes away meanwhile (Credo opens a socket to
                // send one forward and closes it at once): processing stops only when the replica stops.
                if (await ReceiveMessageAsync(session, received, processor, maxMessageBytes, stopping, logger).ConfigureAwait(false)
                    is { } end)
                {
                    endReason = end;
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            endReason = "aborted";
        }
        catch (WebSocketException e)
        {
            endReason = $"socket error: {e.WebSocketErrorCode}";
        }
        catch (ObjectDisposedException)
        {
            endReason = "aborted";
        }
        catch (Exception e)
        {
            TransportLog.WebSocketFailed(logger, e, session.Id);
            endReason = "failed";
            await session.CloseSocketAsync(WebSocketCloseStatus.InternalServerError, "mediator error", CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            sweeper.Remove(session);
            await session.CloseAsync().ConfigureAwait(false);
            TransportLog.WebSocketClosed(logger, session.Id, endReason);
        }
    }

    /// <summary>Size of the receive buffer rented while a message is being read.</summary>
    internal const int ReceiveBufferBytes = 16 * 1024;

    /// <summary>
    /// Reads the rest of the message whose first frame header <paramref name="received"/> (a zero-byte receive) announced
    /// and processes it; the end reason when the socket is to end, null to wait for the next message. The receive buffer
    /// is rented only here, for the rest of that message. A message sent just before the wallet closes its socket is
    /// still read whole (the close frame follows it; WebSocketDropTests).
    /// </summary>
    private static async Task<string?> ReceiveMessageAsync(WebSocketTransportSession session, ValueWebSocketReceiveResult received,
        InboundMessageProcessor processor, int max, CancellationToken processToken, ILogger logger)
    {
        var socket = session.Socket;
        byte[] envelope = [];
        if (received.MessageType != WebSocketMessageType.Close && !received.EndOfMessage)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytes);
            ArrayBufferWriter<byte>? message = null;
            try
            {
                while (true)
                {
                    received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                    if (received.MessageType == WebSocketMessageType.Close) break;
                    if ((message?.WrittenCount ?? 0) + received.Count > max)
                    {
                        var reason = $"message exceeds {max} bytes";
                        TransportLog.WebSocketClosing(logger, session.Id, WebSocketCloseStatus.MessageTooBig, reason);
                        await session.CloseSocketAsync(WebSocketCloseStatus.MessageTooBig, reason, CancellationToken.None).ConfigureAwait(false);
                        return reason;
                    }
                    if (received.EndOfMessage && message is null)
                    {
                        // The common case: the rest of the message came in one read.
                        envelope = buffer.AsSpan(0, received.Count).ToArray();
                        break;
                    }
                    message ??= new ArrayBufferWriter<byte>(Math.Min(max, 2 * ReceiveBufferBytes));
                    message.Write(buffer.AsSpan(0, received.Count));
                    if (received.EndOfMessage)
                    {
                        envelope = message.WrittenSpan.ToArray();
                        break;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (received.MessageType == WebSocketMessageType.Close)
        {
            await session.CloseSocketAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(false);
            return $"closed by the wallet ({socket.CloseStatus}: {socket.CloseStatusDescription})";
        }

        // An empty message (a zero-length final frame) reaches the pipeline, which rejects it with its reason.
        session.MarkReceived();
        var result = await processor.ProcessAsync(envelope, session, processToken).ConfigureAwait(false);
        if (result.IsEnvelopeError)
        {
            // Nothing in it can be answered (no key to reply to): tell the wallet why and end the session.
            var status = result.Error == InboundError.TooLarge ? WebSocketCloseStatus.MessageTooBig : WebSocketCloseStatus.InvalidPayloadData;
            var reason = $"{result.Error}: {result.Reason}";
            TransportLog.WebSocketClosing(logger, session.Id, status, reason);
            await session.CloseSocketAsync(status, reason, CancellationToken.None).ConfigureAwait(false);
            return reason;
        }
        return null;
    }

    private static bool IsAcceptedContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null)
            return false;
        foreach (var accepted in DidcommMediaTypes.Accepted)
            if (string.Equals(parsed.MediaType, accepted, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>
    /// The request body as one array. With a Content-Length (what wallets and the load generator send) it is read straight
    /// into an array of that size: no growing buffer and no copy per forward. Without one (chunked) it is assembled in a
    /// pooled buffer. A body longer than its Content-Length or than <paramref name="max"/> is refused.
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(Stream body, long? contentLength, int max, CancellationToken cancellationToken)
    {
        if (contentLength is { } length and <= int.MaxValue)
        {
            if (length > max) throw new PayloadTooLargeException();
            var exact = new byte[length];
            var read = await body.ReadAtLeastAsync(exact, exact.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            // Kestrel ends the body at Content-Length; a short body is what arrived (the client went away).
            return read == exact.Length ? exact : exact[..read];
        }

        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await body.ReadAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
                if (read == 0) return buffer.AsSpan(0, count).ToArray();
                count += read;
                if (count > max) throw new PayloadTooLargeException();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static IResult Reject(ILogger logger, int status, string reason)
    {
        TransportLog.HttpRejected(logger, status, reason);
        return Results.Text(reason, "text/plain; charset=utf-8", statusCode: status);
    }

    private sealed class PayloadTooLargeException : Exception;
}
