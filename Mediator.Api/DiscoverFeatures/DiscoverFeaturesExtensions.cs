using Mediator.Api.DiscoverFeatures;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class DiscoverFeaturesExtensions
{
    /// <summary>Discover Features 1.0 and 2.0.</summary>
    public static IHostApplicationBuilder AddDiscoverFeatures(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMessageHandler<DiscoverFeaturesHandler>(
            DiscoverFeaturesHandler.QueryType, DiscoverFeaturesHandler.DiscloseType,
            DiscoverFeaturesHandler.QueriesType, DiscoverFeaturesHandler.DisclosuresType);
        builder.Services.AddDidcommProtocol(DiscoverFeaturesHandler.Protocol10, "responder");
        builder.Services.AddDidcommProtocol(DiscoverFeaturesHandler.Protocol20, "responder");
        return builder;
    }
}
