using Mediator.Api.CoordinateMediation;
using Mediator.Api.MessagePickup;
using Mediator.Api.PushNotifications;
using Mediator.Api.Routing;
using Mediator.Api.State;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pickup.Core;
using PickupAspire.TestSupport;

namespace Mediator.Api.Tests.Routing;

/// <summary>
/// One mediator replica's routing layer as <c>AddMediatorState</c> + <c>AddMediatorRouting</c> wire it, in its own host
/// with its own data source and Pickup.Core instance id, on a real PostgreSQL database.
/// </summary>
internal sealed class RoutingReplica : IAsyncDisposable
{
    public const string PublicEndpoint = "https://mediator.example/didcomm";

    private readonly IHost _host;

    private RoutingReplica(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;
    public ConnectionStore Connections => Services.GetRequiredService<ConnectionStore>();
    public MediationStore Mediations => Services.GetRequiredService<MediationStore>();
    public KeylistStore Keylists => Services.GetRequiredService<KeylistStore>();
    public MediatorIdentityStore Identity => Services.GetRequiredService<MediatorIdentityStore>();
    public IMessagePickupRepository Queue => Services.GetRequiredService<IMessagePickupRepository>();
    public CoordinateMediationService Mediation => Services.GetRequiredService<CoordinateMediationService>();
    public ForwardService Forwards => Services.GetRequiredService<ForwardService>();
    public MessagePickupService Pickup => Services.GetRequiredService<MessagePickupService>();
    public LiveDeliveryService Live => Services.GetRequiredService<LiveDeliveryService>();
    public PushNotificationsService Push => Services.GetRequiredService<PushNotificationsService>();

    public static async Task<string> NewDatabaseAsync(string name = "routing")
    {
        var server = await PostgresServer.GetSharedAsync();
        return await server.CreateDatabaseAsync(name);
    }

    public static async Task<RoutingReplica> StartAsync(string connectionString, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var all = new Dictionary<string, string?>
        {
            ["Mediator:PublicEndpoint"] = PublicEndpoint,
            ["Pickup:InstanceId"] = "replica-" + Guid.NewGuid().ToString("N")[..8],
            ["Pickup:MaintenanceInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        builder.Configuration.AddInMemoryCollection(all);
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.AddMediatorState();
        builder.AddMediatorRouting();
        var host = builder.Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await host.StartAsync(timeout.Token);
            await host.Services.GetRequiredService<KeylistChangeListener>().FirstListen.WaitAsync(timeout.Token);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new RoutingReplica(host);
    }

    public static async Task<RoutingReplica> StartOnNewDatabaseAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        await StartAsync(await NewDatabaseAsync(), settings);

    /// <summary>A completed connection (a wallet that connected to the mediator).</summary>
    public async Task<ConnectionRecord> CreateConnectionAsync(string? label = null, string? did = null,
        ConnectionState state = ConnectionState.Completed) =>
        await Connections.CreateAsync(new ConnectionRecord
        {
            Id = Guid.NewGuid(),
            State = state,
            Protocol = HandshakeProtocol.DidExchange11,
            TheirLabel = label,
            TheirDid = did,
            TheirRecipientKeys = [Keys.NewVerkey()],
        }, CancellationToken.None);

    /// <summary>A connection whose mediation is granted and whose keylist holds <paramref name="keys"/>.</summary>
    public async Task<ConnectionRecord> CreateMediatedConnectionAsync(params string[] keys)
    {
        var connection = await CreateConnectionAsync();
        var grant = await Mediation.HandleMediateRequestAsync(connection, Msg.Build(CoordinateMediationMessages.MediateRequest), CancellationToken.None);
        Assert.Equal(CoordinateMediationMessages.MediateGrant, grant.Type.Uri);
        foreach (var key in keys)
        {
            var outcome = await Keylists.AddAsync(connection.Id, key, CancellationToken.None);
            Assert.Equal(KeylistUpdateResult.Success, outcome.Result);
        }
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
        if (_host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        else _host.Dispose();
    }
}

internal static class Keys
{
    /// <summary>A real Ed25519 verkey (base58).</summary>
    public static string NewVerkey() => Mediator.Didcomm.Keys.Ed25519KeyPair.Generate().Verkey;
}

internal static class Msg
{
    public static DidcommMessage Build(string type, params (string Name, System.Text.Json.Nodes.JsonNode? Value)[] fields)
    {
        var builder = new MessageBuilder(type);
        foreach (var (name, value) in fields) builder.With(name, value);
        // Through bytes, as a message arrives on the wire.
        return DidcommMessage.Parse(builder.ToUtf8Bytes());
    }

    public static System.Text.Json.Nodes.JsonObject Json(this MessageBuilder message) => message.ToJson();

    public static void AssertProblem(MessageBuilder? reply, string code)
    {
        Assert.NotNull(reply);
        var json = reply.ToJson();
        Assert.True(json["@type"]!.GetValue<string>().EndsWith("problem-report", StringComparison.Ordinal), $"expected a problem report, got {json}");
        Assert.Equal(code, json["description"]?["code"]?.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(json["description"]?["en"]?.GetValue<string>()));
    }
}

internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {limit} waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout);
}
