using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
/// the notifier. Disposing it stops every process it started (DCP waits for resource cleanup under the testing
/// builder) and removes the run's PostgreSQL data directory.
/// </summary>
public sealed class AppHostFixture(IMessageSink diagnostics) : IAsyncLifetime
{
    public const string Mediator = "mediator-api";
    public const string Notifier = "notifier-worker";
    public const string Database = "pickup";
    public const int MediatorReplicas = 3;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    /// <summary>Each mediator replica as the orchestrator last reported it, healthy, once the app has started.</summary>
    public IReadOnlyList<ReplicaInfo> MediatorReplicaInfos { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Postgres:Mode=local", "--Postgres:Local:Durable=false", $"--Parameters:mediator-replicas={MediatorReplicas}"],
            timeout.Token);
        // Keep the test output readable: the processes' own logs are in the dashboard of a normal run.
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        _app = await builder.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);

        MediatorReplicaInfos = await ReplicaInfo.WaitForHealthyReplicasAsync(_app, Mediator, MediatorReplicas, timeout.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync(Notifier, timeout.Token);
        diagnostics.OnMessage(new DiagnosticMessage($"AppHost started and healthy in {clock.Elapsed.TotalSeconds:F1} s"));

        var postgres = await _app.ResourceNotifications.WaitForResourceAsync(
            "postgres", e => e.Snapshot.State?.Text == KnownResourceStates.Running, timeout.Token);
        _postgresRunDirectory = Convert.ToString(
            postgres.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.workDir")?.Value, CultureInfo.InvariantCulture)
            ?? throw new InvalidOperationException("The postgres resource reports no working directory.");
        _processes = LeftoverProcesses.RecordRunOf(Environment.ProcessId);
        diagnostics.OnMessage(new DiagnosticMessage($"AppHost run: {_processes.Count} processes, PostgreSQL in {_postgresRunDirectory}"));
    }

    public async Task DisposeAsync()
    {
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

    private LeftoverProcesses? _processes;
    private string? _postgresRunDirectory;
}
