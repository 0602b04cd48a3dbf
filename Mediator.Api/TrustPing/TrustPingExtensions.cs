using Mediator.Api.TrustPing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class TrustPingExtensions
{
    /// <summary>Trust Ping 1.0: <c>ping</c> and <c>ping_response</c>.</summary>
    public static IHostApplicationBuilder AddTrustPing(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMessageHandler<TrustPingHandler>(TrustPingHandler.PingType, TrustPingHandler.PingResponseType);
        builder.Services.AddDidcommProtocol(TrustPingHandler.ProtocolUri, "receiver");
        return builder;
    }
}
