using Mediator.Api.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using PickupAspire.TestSupport;

namespace Mediator.Api.Tests.State;

/// <summary>
/// One mediator replica's state layer, as the application wires it (<c>AddMediatorState</c>), in its own host with its
/// own <see cref="NpgsqlDataSource"/> (so its own pool and its own listener connection).
/// </summary>
internal sealed class StateReplica : IAsyncDisposable
{
    private readonly IHost _host;

    private StateReplica(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;
    public KeylistCache Cache => Services.GetRequiredService<KeylistCache>();
    public KeylistStore Keylists => Services.GetRequiredService<KeylistStore>();
    public ConnectionStore Connections => Services.GetRequiredService<ConnectionStore>();
    public MediationStore Mediations => Services.GetRequiredService<MediationStore>();
    public DeviceInfoStore Devices => Services.GetRequiredService<DeviceInfoStore>();
    public MediatorIdentityStore Identity => Services.GetRequiredService<MediatorIdentityStore>();
    public KeylistChangeListener Listener => Services.GetRequiredService<KeylistChangeListener>();

    /// <summary>Builds and starts the replica; returns once its schema and identity are ready and its listener listens.</summary>
    public static async Task<StateReplica> StartAsync(string connectionString, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services?.Invoke(builder.Services);
        builder.AddMediatorState();
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
        return new StateReplica(host);
    }

    /// <summary>A fresh database and one started replica on it.</summary>
    public static async Task<(StateReplica Replica, string ConnectionString)> StartOnNewDatabaseAsync(
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync("state");
        return (await StartAsync(connectionString, settings), connectionString);
    }

    public async Task<ConnectionRecord> CreateConnectionAsync(string? theirVerkey = null) =>
        await Connections.CreateAsync(new ConnectionRecord
        {
            Id = Guid.NewGuid(),
            State = ConnectionState.Completed,
            Protocol = HandshakeProtocol.DidExchange11,
            TheirRecipientKeys = theirVerkey is null ? [] : [theirVerkey],
        }, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
        if (_host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        else _host.Dispose();
    }
}

internal static class TestKeys
{
    /// <summary>A fresh random Ed25519-sized verkey (base58 of 32 random bytes); the store does not check it is on the curve.</summary>
    public static string NewVerkey() => SimpleBase.Base58.Bitcoin.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}

internal static class Eventually
{
    /// <summary>Awaits <paramref name="condition"/> (polled) until it holds or <paramref name="timeout"/> ends; then fails with <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {timeout ?? TimeSpan.FromSeconds(15)} waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout);
}
