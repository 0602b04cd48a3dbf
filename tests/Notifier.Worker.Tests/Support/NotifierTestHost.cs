using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Notifier.Worker.Relay;
using Npgsql;
using Pickup.Core;
using PickupAspire.TestSupport;

namespace Notifier.Worker.Tests.Support;

/// <summary>A real notifier (the worker's own AddNotifier / MapNotifierHubs) on loopback Kestrel and a test database.</summary>
internal sealed class NotifierTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ErrorLog _errors;

    private NotifierTestHost(WebApplication app, Uri baseUri, ErrorLog errors)
    {
        _app = app;
        BaseUri = baseUri;
        _errors = errors;
    }

    /// <summary>Error-level log entries a test expects (e.g. a dead letter); any other fails the test at dispose.</summary>
    public Func<string, bool> ExpectedError { get; set; } = _ => false;

    public Uri BaseUri { get; }
    public IServiceProvider Services => _app.Services;
    internal OutboxRelay Relay => Services.GetRequiredService<OutboxRelay>();
    internal OutboxListener Listener => Services.GetRequiredService<OutboxListener>();
    public IMeterFactory MeterFactory => Services.GetRequiredService<IMeterFactory>();

    public const string Secret = "test-signing-secret-0123456789";
    public const string ApiKey = "test-api-key-0123456789abcdef";

    /// <summary>Test defaults: fast retries and polls, a short coalescing window, the hub key.</summary>
    public static Dictionary<string, string?> Defaults(Uri? webhook = null) => new()
    {
        ["Notifier:Relay:CoalesceWindow"] = "00:00:00.300",
        ["Notifier:Relay:PollInterval"] = "00:00:02",
        ["Notifier:Relay:RetryBaseDelay"] = "00:00:00.100",
        ["Notifier:Relay:RetryMaxDelay"] = "00:00:02",
        ["Notifier:Relay:ListenerReconnectDelay"] = "00:00:00.050",
        ["Notifier:Relay:ListenerMaxReconnectDelay"] = "00:00:00.500",
        ["Notifier:Webhooks:Urls:0"] = webhook?.ToString(),
        ["Notifier:Webhooks:SigningSecret"] = webhook is null ? null : Secret,
        ["Notifier:SignalR:ApiKeys:0"] = ApiKey,
    };

    public static async Task<NotifierTestHost> StartAsync(string connectionString, IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test" });
        builder.Logging.ClearProviders();
        var errors = new ErrorLog();
        builder.Logging.AddProvider(errors);
        builder.Configuration.AddInMemoryCollection(settings.Where(s => s.Value is not null));
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.AddNotifier();
        var app = builder.Build();
        app.MapNotifierHubs();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(timeout.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new NotifierTestHost(app, new Uri(address), errors);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        var unexpected = _errors.Errors.Where(e => !ExpectedError(e)).ToList();
        Assert.True(unexpected.Count == 0, "Errors were logged:\n" + string.Join("\n", unexpected));
    }
}

/// <summary>The mediator's side: a real Pickup.Core instance that queues messages (no live session: outbox rows).</summary>
internal sealed class PickupSide : IAsyncDisposable
{
    private readonly IHost _host;

    private PickupSide(IHost host) => _host = host;

    public IMessagePickupRepository Queue => _host.Services.GetRequiredService<IMessagePickupRepository>();

    public static async Task<PickupSide> StartAsync(string connectionString)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.AddPickupCore().Configure(o =>
        {
            o.InstanceId = PostgresServer.UniqueName("mediator");
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
            o.InstanceTimeout = TimeSpan.FromSeconds(3);
        });
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);
        return new PickupSide(host);
    }

    /// <summary>Queues a message for a connection without a live session (so Pickup.Core writes an outbox row).</summary>
    public async Task<AddedMessage> AddAsync(string connectionId)
    {
        var added = await Queue.AddMessageAsync(new AddMessageRequest(connectionId, ["key-" + connectionId],
            System.Text.Encoding.UTF8.GetBytes("{\"protected\":\"test\"}")));
        Assert.True(added.QueuedForNotifier, "Pickup.Core should have written an outbox row (no live session)");
        return added;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
    }
}

/// <summary>Reads the outbox and the mediator's device info directly.</summary>
internal sealed class Db(string connectionString) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public static async Task<string> NewDatabaseAsync() =>
        await (await PostgresServer.GetSharedAsync()).CreateDatabaseAsync("notifier");

    public async Task<List<(string State, int Attempts, string? LastError)>> OutboxAsync(string connectionId)
    {
        await using var command = _source.CreateCommand(
            "SELECT state, attempts, last_error FROM pickup.outbox WHERE connection_id = $1 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = connectionId });
        var rows = new List<(string, int, string?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        return rows;
    }

    public async Task<bool> AllAsync(string connectionId, string state)
    {
        var rows = await OutboxAsync(connectionId);
        return rows.Count > 0 && rows.All(r => r.State == state);
    }

    /// <summary>The mediator's device_info table as Mediator.Api's migration creates it (without the foreign key to
    /// mediator.connections, which the notifier does not read).</summary>
    public async Task CreateDeviceInfoAsync()
    {
        await using var command = _source.CreateCommand("""
            CREATE SCHEMA IF NOT EXISTS mediator;
            CREATE TABLE IF NOT EXISTS mediator.device_info (
                connection_id    uuid        PRIMARY KEY,
                service          text        NOT NULL CHECK (service IN ('fcm', 'apns')),
                device_token     text        NOT NULL CHECK (length(device_token) BETWEEN 1 AND 4096),
                device_platform  text,
                updated_at       timestamptz NOT NULL DEFAULT now()
            );
            """);
        await command.ExecuteNonQueryAsync();
    }

    public async Task SetDeviceAsync(Guid connectionId, string service, string token)
    {
        await using var command = _source.CreateCommand(
            "INSERT INTO mediator.device_info (connection_id, service, device_token, device_platform) VALUES ($1, $2, $3, 'test')");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = service });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = token });
        await command.ExecuteNonQueryAsync();
    }

    public async Task<bool> HasDeviceAsync(Guid connectionId)
    {
        await using var command = _source.CreateCommand("SELECT count(*) FROM mediator.device_info WHERE connection_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    public async Task TerminateAsync(int pid)
    {
        await using var command = _source.CreateCommand("SELECT pg_terminate_backend($1)");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = pid });
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
