using Mediator.Api.OutOfBand;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class OutOfBandExtensions
{
    /// <summary>The mediator's out-of-band invitation (<see cref="MediatorInvitation"/>); map <c>GET /invitation</c> with <c>MapOutOfBandApi</c>.</summary>
    public static IHostApplicationBuilder AddOutOfBand(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<MediatorInvitation>();
        // GET /invitation's JSON body is written with serialisation code generated at compile time (native AOT replica).
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, OutOfBandJsonContext.Default));
        builder.Services.AddDidcommProtocol(MediatorInvitation.ProtocolUri, "sender");
        return builder;
    }
}
