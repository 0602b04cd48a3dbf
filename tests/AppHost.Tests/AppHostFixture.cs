using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PickupAspire.AppHost.Tests.Support;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PickupAspire.AppHost.Tests;

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}

/// <summary>
/// The whole AppHost, started once for the collection: local PostgreSQL (throw-away settings), three mediator replicas,
/// the notifier, with the notifier's webhook pointed at <see cref="Receiver"/>, a SignalR API key, every service's
/// traces exported to <see cref="Receiver"/>, and short timings (heartbeats, leases, coalescing) set here only, for the
/// tests' sake. Disposing it stops every process it started (DCP waits for resource cleanup under the testing
/// builder) and removes the run's PostgreSQL data directory.
/// </summary>
public sealed class AppHostFixture(IMessageSink diagnostics) : IAsyncLifetime
{
    public const string Mediator = "mediator-api";
    public const string Notifier = "notifier-worker";
    public const string Database = "pickup";
    public const int MediatorReplicas = 3;

    /// <summary>The webhook signing secret and SignalR API key the tests give the AppHost (as its parameters).</summary>
    public const string WebhookSigningSecret = "e2e-webhook-signing-secret-0123456789";
    public const string SignalRApiKey = "e2e-signalr-api-key-0123456789";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    /// <summary>The webhook and OTLP receiver on loopback.</summary>
    public LoopbackReceiver Receiver => _receiver ?? throw new InvalidOperationException("The receiver has not started.");

    /// <summary>The database's connection string as the services got it.</summary>
    public string DatabaseConnectionString { get; private set; } = "";

    /// <summary>Each mediator replica as the orchestrator last reported it, healthy, once the app has started.</summary>
    public IReadOnlyList<ReplicaInfo> MediatorReplicaInfos { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(StartTimeout);
        _receiver = await LoopbackReceiver.StartAsync();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [
                "--Postgres:Mode=local", "--Postgres:Local:Durable=false", $"--Parameters:mediator-replicas={MediatorReplicas}",
                $"--Notifier:Webhooks:Urls:0={_receiver.WebhookUrl}",
                $"--Parameters:webhook-signing-secret={WebhookSigningSecret}",
                $"--Parameters:notifier-signalr-api-key={SignalRApiKey}",
            ],
            timeout.Token);
        ConfigureForTests(builder, _receiver.BaseUrl);
        // Keep the test output readable: the processes' own logs are in the dashboard of a normal run.
        // (The AppHost's appsettings set Default to Information; a category rule beats it for the resources' own logs.)
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)
            .AddFilter("AppHost.Resources", LogLevel.Warning)
            .AddFilter("Aspire.Hosting", LogLevel.Warning));
        _app = await builder.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);

        MediatorReplicaInfos = await ReplicaInfo.WaitForHealthyReplicasAsync(_app, Mediator, MediatorReplicas, timeout.Token);
        await ReplicaInfo.WaitUntilEachAnswersAsync(MediatorReplicaInfos, timeout.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync(Notifier, timeout.Token);
        diagnostics.OnMessage(new DiagnosticMessage($"AppHost started and healthy in {clock.Elapsed.TotalSeconds:F1} s"));
        DatabaseConnectionString = await _app.GetConnectionStringAsync(Database, timeout.Token)
            ?? throw new InvalidOperationException("The app hands out no connection string for the database.");

        var postgres = await _app.ResourceNotifications.WaitForResourceAsync(
            "postgres", e => e.Snapshot.State?.Text == KnownResourceStates.Running, timeout.Token);
        _postgresRunDirectory = Convert.ToString(
            postgres.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.workDir")?.Value, CultureInfo.InvariantCulture)
            ?? throw new InvalidOperationException("The postgres resource reports no working directory.");
        _processes = LeftoverProcesses.RecordRunOf(Environment.ProcessId);
        diagnostics.OnMessage(new DiagnosticMessage($"AppHost run: {_processes.Count} processes, PostgreSQL in {_postgresRunDirectory}"));
    }

    /// <summary>
    /// Test-only settings, by configuration (environment of the services): every service exports its traces to the
    /// receiver over OTLP/HTTP (protobuf) with a short batch delay; Pickup.Core declares a killed replica dead within
    /// seconds (heartbeat 0.5 s, instance timeout 2 s, maintenance 0.5 s) and sweeps often; the notifier coalesces
    /// for 0.5 s and polls every second. The product defaults stay untouched.
    /// </summary>
    private static void ConfigureForTests(IDistributedApplicationTestingBuilder builder, Uri otlpReceiver)
    {
        foreach (var name in new[] { Mediator, Notifier })
        {
            builder.CreateResourceBuilder<ProjectResource>(name).WithEnvironment(context =>
            {
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpReceiver.ToString().TrimEnd('/');
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_HEADERS");
                context.EnvironmentVariables["OTEL_BSP_SCHEDULE_DELAY"] = "200";
                context.EnvironmentVariables["OTEL_TRACES_SAMPLER"] = "always_on";
            });
        }
        builder.CreateResourceBuilder<ProjectResource>(Mediator)
            .WithEnvironment("Pickup__HeartbeatInterval", "00:00:00.500")
            .WithEnvironment("Pickup__InstanceTimeout", "00:00:02")
            .WithEnvironment("Pickup__MaintenanceInterval", "00:00:00.500")
            .WithEnvironment("Pickup__SweepInterval", "00:00:02")
            .WithEnvironment("Pickup__LeaseDuration", "00:00:20");
        builder.CreateResourceBuilder<ProjectResource>(Notifier)
            .WithEnvironment("Notifier__Relay__CoalesceWindow", "00:00:00.500")
            .WithEnvironment("Notifier__Relay__PollInterval", "00:00:01")
            .WithEnvironment("Notifier__Relay__RetryBaseDelay", "00:00:00.500");
    }

    /// <summary>Waits until every mediator replica is running and healthy again (after a test killed one) and
    /// refreshes <see cref="MediatorReplicaInfos"/>.</summary>
    public async Task<IReadOnlyList<ReplicaInfo>> WaitForAllReplicasAsync(CancellationToken cancellationToken)
    {
        var replicas = await ReplicaInfo.WaitForHealthyReplicasAsync(App, Mediator, MediatorReplicas, cancellationToken);
        await ReplicaInfo.WaitUntilEachAnswersAsync(replicas, cancellationToken);
        MediatorReplicaInfos = replicas;
        return replicas;
    }

    public async Task DisposeAsync()
    {
        if (_receiver is not null) await _receiver.DisposeAsync();
        if (_app is null) return;
        var clock = Stopwatch.StartNew();
        await _app.StopAsync();
        await _app.DisposeAsync();
        diagnostics.OnMessage(new DiagnosticMessage($"AppHost stopped in {clock.Elapsed.TotalSeconds:F1} s"));

        // Nothing of the run may outlive it: DCP, the local server, the services, the server's data directory.
        var left = _processes is null ? [] : await _processes.WaitUntilGoneAsync(TimeSpan.FromSeconds(30));
        if (_postgresRunDirectory is not null && Directory.Exists(_postgresRunDirectory))
        {
            left.Add($"directory {_postgresRunDirectory}");
        }
        if (left.Count > 0)
        {
            throw new InvalidOperationException($"The AppHost left behind: {string.Join("; ", left)}");
        }
    }

    private LoopbackReceiver? _receiver;
    private LeftoverProcesses? _processes;
    private string? _postgresRunDirectory;
}
