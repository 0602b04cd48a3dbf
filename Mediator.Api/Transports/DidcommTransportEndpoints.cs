using System.Buffers;
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
        var transportOptions = app.Services.GetRequiredService<IOptions<TransportOptions>>().Value;
        app.UseWebSockets();
        app.MapPost("/", ReceiveHttpAsync).WithName("DidcommHttpInbound").DisableAntiforgery();
        app.MapGet("/", ReceiveWebSocketAsync).WithName("DidcommWebSocketInbound");
        if (transportOptions.WebSocketPath is { Length: > 1 } path && path != "/")
            app.MapGet(path, ReceiveWebSocketAsync).WithName("DidcommWebSocketInboundPath");
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

    /// <summary>GET / or /ws with a WebSocket upgrade: many envelopes each way; anything else is 400.</summary>
    public static async Task<IResult> ReceiveWebSocketAsync(HttpContext http, InboundMessageProcessor processor,
        IOptions<MediatorOptions> options, IOptions<TransportOptions> transportOptions, TimeProvider time, ILoggerFactory loggerFactory,
        IHostApplicationLifetime lifetimeEvents)
    {
        var logger = loggerFactory.CreateLogger(typeof(DidcommTransportEndpoints).FullName!);
        if (!http.WebSockets.IsWebSocketRequest)
            return Reject(logger, StatusCodes.Status400BadRequest, "Expected a WebSocket upgrade, or POST a DIDComm envelope to /.");

        var transport = transportOptions.Value;
        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = transport.WebSocketKeepAliveInterval,
            KeepAliveTimeout = transport.WebSocketKeepAliveTimeout,
        }).ConfigureAwait(false);
        var session = new WebSocketTransportSession(socket, time, logger);
        TransportLog.WebSocketOpened(logger, session.Id);
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var watchdog = WatchIdleAsync(session, transport.WebSocketIdleTimeout, time, lifetime, logger);
        // On shutdown, say so (1001) so that the wallet reconnects to another replica, instead of holding the host open.
        await using var stopping = lifetimeEvents.ApplicationStopping.Register(() => _ = Task.Run(async () =>
        {
            TransportLog.WebSocketClosing(logger, session.Id, WebSocketCloseStatus.EndpointUnavailable, "replica shutting down");
            await session.CloseSocketAsync(WebSocketCloseStatus.EndpointUnavailable, "replica shutting down", CancellationToken.None).ConfigureAwait(false);
            try { lifetime.CancelAfter(TimeSpan.FromSeconds(2)); } catch (ObjectDisposedException) { }
        }));
        var endReason = "closed by the wallet";
        try
        {
            // A message fully received is processed even if the wallet goes away meanwhile (Credo opens a socket to send
            // one forward and closes it at once): processing stops only when the replica stops.
            endReason = await ReceiveLoopAsync(session, processor, options.Value.MaxMessageBytes, lifetime.Token,
                lifetimeEvents.ApplicationStopping, logger).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            endReason = "aborted";
        }
        catch (WebSocketException e)
        {
            endReason = $"socket error: {e.WebSocketErrorCode}";
        }
        catch (Exception e)
        {
            TransportLog.WebSocketFailed(logger, e, session.Id);
            endReason = "failed";
            await session.CloseSocketAsync(WebSocketCloseStatus.InternalServerError, "mediator error", CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await lifetime.CancelAsync().ConfigureAwait(false);
            await session.CloseAsync().ConfigureAwait(false);
            try { await watchdog.ConfigureAwait(false); } catch (OperationCanceledException) { }
            TransportLog.WebSocketClosed(logger, session.Id, endReason);
        }
        return Results.Empty;
    }

    /// <summary>Receive buffer of a socket, rented for the socket's life.</summary>
    internal const int ReceiveBufferBytes = 16 * 1024;

    /// <summary>
    /// Reads whole messages and processes each in turn, with one pooled buffer for the socket's life. A zero-byte receive
    /// as the idle wait (no buffer held while idle) was tried and reverted: it splits a frame's header and payload over
    /// two reads, and a wallet that drops its socket right after sending then loses that message far more often (Kestrel
    /// discards unread input on a reset; WebSocketDropTests).
    /// </summary>
    private static async Task<string> ReceiveLoopAsync(WebSocketTransportSession session, InboundMessageProcessor processor, int max,
        CancellationToken receiveToken, CancellationToken processToken, ILogger logger)
    {
        var socket = session.Socket;
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytes);
        var message = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), receiveToken).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await session.CloseSocketAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(false);
                    return $"closed by the wallet ({socket.CloseStatus}: {socket.CloseStatusDescription})";
                }

                if (message.WrittenCount + received.Count > max)
                {
                    var reason = $"message exceeds {max} bytes";
                    TransportLog.WebSocketClosing(logger, session.Id, WebSocketCloseStatus.MessageTooBig, reason);
                    await session.CloseSocketAsync(WebSocketCloseStatus.MessageTooBig, reason, CancellationToken.None).ConfigureAwait(false);
                    return reason;
                }

                message.Write(buffer.AsSpan(0, received.Count));
                if (!received.EndOfMessage) continue;

                session.MarkReceived();
                var envelope = message.WrittenMemory.ToArray();
                message.ResetWrittenCount();
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
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task WatchIdleAsync(WebSocketTransportSession session, TimeSpan idleTimeout, TimeProvider time,
        CancellationTokenSource lifetime, ILogger logger)
    {
        var token = lifetime.Token;
        await Task.Yield();
        while (!token.IsCancellationRequested)
        {
            var idleFor = time.GetUtcNow() - session.LastActivity;
            if (idleFor >= idleTimeout)
            {
                TransportLog.WebSocketClosing(logger, session.Id, WebSocketCloseStatus.NormalClosure, "idle timeout");
                await session.CloseSocketAsync(WebSocketCloseStatus.NormalClosure, "idle timeout", token).ConfigureAwait(false);
                // The wallet answers the close frame; if it does not, abort the receive after a grace period.
                lifetime.CancelAfter(TimeSpan.FromSeconds(5));
                return;
            }
            await Task.Delay(idleTimeout - idleFor, time, token).ConfigureAwait(false);
        }
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
