using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pickup.Core.Instances;
using Pickup.Core.Notifications;
using PickupAspire.TestSupport;

namespace Pickup.Core.Tests.Support;

/// <summary>A real Pickup.Core instance (host + hosted service) on a test database, with recording handlers.</summary>
internal sealed class PickupTestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private readonly ErrorLog _errors;

    private PickupTestHost(IHost host, DeliveryRecorder deliveries, QueuedRecorder queued, ErrorLog errors)
    {
        _host = host;
        _errors = errors;
        Deliveries = deliveries;
        Queued = queued;
    }

    public DeliveryRecorder Deliveries { get; }
    public QueuedRecorder Queued { get; }
    public IServiceProvider Services => _host.Services;
    public PostgresMessagePickupRepository Repository => Services.GetRequiredService<PostgresMessagePickupRepository>();
    public IMessagePickupRepository Queue => Services.GetRequiredService<IMessagePickupRepository>();
    public ILiveSessionRegistry Sessions => Services.GetRequiredService<ILiveSessionRegistry>();
    public IDeadLetterQueue DeadLetters => Services.GetRequiredService<IDeadLetterQueue>();
    public InstanceListener Listener => Services.GetRequiredService<InstanceListener>();
    public InstanceMaintenance Maintenance => Services.GetRequiredService<InstanceMaintenance>();
    public NpgsqlDataSource DataSource => Services.GetRequiredService<NpgsqlDataSource>();
    public string InstanceId => Repository.InstanceId;

    /// <summary>A fresh database on the shared test server.</summary>
    public static async Task<string> NewDatabaseAsync() =>
        await (await PostgresServer.GetSharedAsync()).CreateDatabaseAsync("pickup");

    public static IHost Build(string connectionString, string? instanceId = null, Action<PickupOptions>? configure = null,
        DeliveryRecorder? deliveries = null, QueuedRecorder? queued = null, ErrorLog? errors = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging(logging =>
        {
            if (errors is not null) logging.AddProvider(errors);
        });
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        if (deliveries is not null) builder.Services.AddSingleton<IMessageDeliveryHandler>(deliveries);
        if (queued is not null) builder.Services.AddSingleton<IMessageQueuedObserver>(queued);
        builder.AddPickupCore().Configure(o =>
        {
            o.InstanceId = instanceId ?? PostgresServer.UniqueName("inst");
            // Fast loops for tests; slow sweep stays long so that tests prove the specific path they name.
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
            o.InstanceTimeout = TimeSpan.FromSeconds(3);
            o.MaintenanceInterval = TimeSpan.FromMilliseconds(200);
            o.SweepInterval = TimeSpan.FromMinutes(10);
            o.ListenerReconnectDelay = TimeSpan.FromMilliseconds(50);
            o.ListenerMaxReconnectDelay = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(o);
        });
        // After Pickup.Core's: hosted services added here stop before it.
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    public static async Task<PickupTestHost> StartAsync(string connectionString, string? instanceId = null, Action<PickupOptions>? configure = null)
    {
        var deliveries = new DeliveryRecorder();
        var queued = new QueuedRecorder();
        var errors = new ErrorLog();
        var host = Build(connectionString, instanceId, configure, deliveries, queued, errors);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);
        return new PickupTestHost(host, deliveries, queued, errors);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
        // A background loop that failed is a test failure, even when the test's own assertions passed.
        Assert.True(_errors.Errors.IsEmpty, "Errors were logged:\n" + string.Join("\n", _errors.Errors));
    }
}
