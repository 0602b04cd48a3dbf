using Mediator.Api.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class MediatorStateExtensions
{
    /// <summary>
    /// The mediator's persistent state in PostgreSQL (schema <c>mediator</c>): options (<c>Mediator:State</c>, key seed
    /// <c>Mediator:KeySeed</c>), the stores, the keylist cache and its change listener, the start-up migration and
    /// identity load, and a health check. Needs an <see cref="Npgsql.NpgsqlDataSource"/> in DI (e.g. Aspire's
    /// <c>AddNpgsqlDataSource</c>). A <see cref="DeriveMediatorPublicKey"/> registered before this call replaces the
    /// default Ed25519 derivation.
    /// </summary>
    public static IHostApplicationBuilder AddMediatorState(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<MediatorStateOptions>()
            .BindConfiguration(MediatorStateOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (configuration[MediatorStateOptions.KeySeedKey] is { Length: > 0 } seed) options.KeySeed = seed;
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MediatorStateOptions>, MediatorStateOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DeriveMediatorPublicKey>(Ed25519MediatorKeys.Derive);
        services.AddMetrics();
        services.TryAddSingleton<MediatorStateMetrics>();
        services.TryAddSingleton<KeylistCache>();
        services.TryAddSingleton<MediatorIdentityStore>();
        services.TryAddSingleton<ConnectionStore>();
        services.TryAddSingleton<MediationStore>();
        services.TryAddSingleton<KeylistStore>();
        services.TryAddSingleton<DeviceInfoStore>();
        services.TryAddSingleton<KeylistChangeListener>();

        // Registration order is start order: schema and identity first, then the listener.
        services.AddHostedService<MediatorStateInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<KeylistChangeListener>());

        services.AddHealthChecks().AddCheck<KeylistListenerHealthCheck>("mediator-keylist-listener", HealthStatus.Degraded);
        return builder;
    }
}

/// <summary>Degraded while the keylist listener is not listening (forwards then read the keylist from the database).</summary>
internal sealed class KeylistListenerHealthCheck(KeylistChangeListener listener) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(listener.IsListening
            ? HealthCheckResult.Healthy($"Listening (connect #{listener.Connects}).")
            : HealthCheckResult.Degraded("The keylist change listener is reconnecting; keylist lookups go to the database."));
}
