using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Pickup.Core.Hosting;
using Pickup.Core.Instances;
using Pickup.Core.Notifications;
using Pickup.Core.Outbox;

namespace Pickup.Core;

public static class PickupCoreExtensions
{
    /// <summary>
    /// Registers Pickup.Core: <see cref="PickupOptions"/> bound from <paramref name="configurationSection"/> and validated
    /// at start; <see cref="IMessagePickupRepository"/>, <see cref="ILiveSessionRegistry"/> and
    /// <see cref="IDeadLetterQueue"/> (one <see cref="PostgresMessagePickupRepository"/>); and the hosted service that
    /// migrates the schema, registers the instance, listens, heartbeats, sweeps and runs maintenance. Uses the
    /// <see cref="NpgsqlDataSource"/> in DI (Aspire.Npgsql's <c>AddNpgsqlDataSource</c>) unless
    /// <see cref="PickupCoreBuilder.UseDataSource"/> gives another. Register an <see cref="IMessageDeliveryHandler"/> to
    /// be woken for live sessions, and <see cref="IMessageQueuedObserver"/>s for in-process queued events.
    /// </summary>
    public static PickupCoreBuilder AddPickupCore(this IHostApplicationBuilder builder, string configurationSection = "Pickup")
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<PickupOptions>()
            .BindConfiguration(configurationSection)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PickupOptions>, PickupOptionsAnnotationsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PickupOptions>, PickupOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PickupDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
        services.TryAddSingleton(sp => new PickupMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<PickupRuntime>();
        services.TryAddSingleton<DeliveryDispatcher>();
        services.TryAddSingleton<Sweeper>();
        services.TryAddSingleton<OrphanedMessages>();
        services.TryAddSingleton<WakeUpPublisher>();
        services.TryAddSingleton<AddWriter>();
        services.TryAddSingleton<InstanceListener>();
        services.TryAddSingleton<InstanceMaintenance>();
        services.TryAddSingleton<IPickupInstanceStatus, PickupInstanceStatus>();
        services.TryAddSingleton(sp => new PostgresMessagePickupRepository(
            sp.GetRequiredService<PickupRuntime>(),
            sp.GetRequiredService<WakeUpPublisher>(),
            sp.GetRequiredService<DeliveryDispatcher>(),
            sp.GetRequiredService<Sweeper>(),
            sp.GetRequiredService<OrphanedMessages>(),
            sp.GetRequiredService<AddWriter>(),
            sp.GetServices<IMessageQueuedObserver>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<PostgresMessagePickupRepository>>()));
        services.TryAddSingleton<IMessagePickupRepository>(sp => sp.GetRequiredService<PostgresMessagePickupRepository>());
        services.TryAddSingleton<ILiveSessionRegistry>(sp => sp.GetRequiredService<PostgresMessagePickupRepository>());
        services.TryAddSingleton<IDeadLetterQueue>(sp => sp.GetRequiredService<PostgresMessagePickupRepository>());
        services.AddHostedService<PickupCoreHostedService>();
        return new PickupCoreBuilder(builder);
    }
}

/// <summary>Returned by <see cref="PickupCoreExtensions.AddPickupCore"/>; more configuration chains here.</summary>
public sealed class PickupCoreBuilder(IHostApplicationBuilder builder)
{
    public IHostApplicationBuilder HostBuilder { get; } = builder;

    /// <summary>Uses this data source instead of the <see cref="NpgsqlDataSource"/> in DI (e.g. a keyed one).</summary>
    public PickupCoreBuilder UseDataSource(Func<IServiceProvider, NpgsqlDataSource> dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        HostBuilder.Services.Replace(ServiceDescriptor.Singleton(sp => new PickupDataSource(dataSource(sp))));
        return this;
    }

    /// <summary>Changes options in code (after configuration binding, before validation).</summary>
    public PickupCoreBuilder Configure(Action<PickupOptions> configure)
    {
        HostBuilder.Services.Configure(configure);
        return this;
    }

    /// <summary>Registers the mediator's delivery handler (a singleton).</summary>
    public PickupCoreBuilder AddDeliveryHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>() where THandler : class, IMessageDeliveryHandler
    {
        HostBuilder.Services.AddSingleton<IMessageDeliveryHandler, THandler>();
        return this;
    }

    /// <summary>Registers an in-process queued-message observer (a singleton).</summary>
    public PickupCoreBuilder AddQueuedObserver<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TObserver>() where TObserver : class, IMessageQueuedObserver
    {
        HostBuilder.Services.AddSingleton<IMessageQueuedObserver, TObserver>();
        return this;
    }
}
