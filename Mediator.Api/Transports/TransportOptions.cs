using System.ComponentModel.DataAnnotations;

namespace Mediator.Api.Transports;

/// <summary><c>Mediator:Transports</c>: WebSocket keep-alive and idle limits.</summary>
public sealed class TransportOptions
{
    public const string SectionName = "Mediator:Transports";

    /// <summary>How often an idle WebSocket is pinged (RFC 6455 ping; the wallet's stack answers with a pong).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WebSocketKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A socket whose pong does not come within this time is dead: aborted, its session closed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WebSocketKeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A socket with no message either way for this long is closed (1000, "idle"); Credo reconnects.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan WebSocketIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The extra path WebSockets are accepted on, besides <c>/</c>.</summary>
    [Required, RegularExpression("^/[A-Za-z0-9/_.-]*$", ErrorMessage = "Mediator:Transports:WebSocketPath must be a path starting with '/'.")]
    public string WebSocketPath { get; set; } = "/ws";

    /// <summary>
    /// On: plain WebSocket upgrade requests are answered at the connection, before Kestrel's HTTP layer, so that an idle
    /// socket holds no HTTP request state (about 6 KB each: 10,000 idle sessions 270 MB instead of ~334 MB; see
    /// <see cref="WebSocketConnectionMiddleware"/>). Off (the default): every upgrade goes through ASP.NET Core's pipeline
    /// (its middleware, request metrics and tracing apply). Off by default because on a loaded machine a replica that
    /// stops can reset such a connection before the wallet has read the 1001 close frame sent to it
    /// (<c>WebSocketShutdownTests</c> failed 2 runs in 8 under CPU load with it on, none with it off): the wallet then
    /// sees a reset instead of "going away" (it reconnects either way; nothing is lost, unacknowledged messages are
    /// redelivered), until that shutdown path waits for the close handshake as Kestrel's request path does.
    /// </summary>
    public bool UpgradeAtConnection { get; set; }
}
