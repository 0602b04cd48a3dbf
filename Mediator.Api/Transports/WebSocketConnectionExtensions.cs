using Mediator.Api.Transports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registration of the connection-level WebSocket upgrade.</summary>
public static class WebSocketConnectionExtensions
{
    /// <summary>
    /// Takes WebSocket upgrades at the connection, before Kestrel's HTTP layer, on every endpoint
    /// (Mediator.Api.Transports.WebSocketConnectionMiddleware); the HTTP WebSocket endpoint of <c>MapDidcommTransports</c> stays for
    /// what this passes on. Call with <c>AddDidcommAgent</c> (which registers the sweeper both paths share).
    /// </summary>
    public static WebApplicationBuilder AddDidcommWebSocketConnections(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            var middleware = new WebSocketConnectionMiddleware(listen.ApplicationServices);
            listen.Use(next => connection => middleware.OnConnectionAsync(connection, next));
        }));
        return builder;
    }
}
