using Pickup.Core;
using Microsoft.Extensions.Options;
using System.ComponentModel.DataAnnotations;

namespace Mediator.Api.Transports;

/// <summary><c>Mediator:Transports</c>: WebSocket keep-alive and idle limits.</summary>
public sealed class TransportOptions
{
    public const string SectionName = "Mediator:Transports";

    /// <summary>How often an idle WebSocket is pinged (RFC 6455 ping; the wallet's stack answers with a pong).</summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan WebSocketKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A socket whose pong does not come within this time is dead: aborted, its session closed.</summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan WebSocketKeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A socket with no message either way for this long is closed (1000, "idle"); Credo reconnects.</summary>
    [TimeSpanRange("00:00:01", "7.00:00:00")]
    public TimeSpan WebSocketIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The extra path WebSockets are accepted on, besides <c>/</c>.</summary>
    [Required, RegularExpression("^/[A-Za-z0-9/_.-]*$", ErrorMessage = "Mediator:Transports:WebSocketPath must be a path starting with '/'.")]
    public string WebSocketPath { get; set; } = "/ws";

    /// <summary>
    /// On (the default): plain WebSocket upgrade requests are answered at the connection, before Kestrel's HTTP layer, so
    /// that an idle socket holds no HTTP request state (about 6 KB each: 10,000 idle sessions ~50 MB less; see
    /// <see cref="WebSocketConnectionMiddleware"/>); other upgrades (e.g. with a query string) still go through Kestrel.
    /// Off: every upgrade goes through ASP.NET Core's pipeline, so that its middleware, request metrics and tracing apply
    /// to WebSocket requests as to any other. It was off for a while because a stopping replica could reset such a socket
    /// before the wallet read its 1001 close (<c>WebSocketShutdownTests</c> 2 runs in 8 under CPU load); that came from
    /// Kestrel stopping before the close handshakes were done, which <see cref="WebSocketShutdown"/> waits for since
    /// (with it on: 0 failures in 8, then in 30 runs at load averages 10-27).
    /// </summary>
    public bool UpgradeAtConnection { get; set; } = true;
}

/// <summary>The data annotations (and <c>IValidatableObject</c> rules) of <see cref="TransportOptions"/>, checked by code generated
/// at compile time instead of reflection (the replica is published as native AOT).</summary>
[OptionsValidator]
internal sealed partial class TransportOptionsValidator : IValidateOptions<TransportOptions>;
