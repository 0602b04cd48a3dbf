using System.Net;
using System.Net.Sockets;
using Mediator.Api.Agent;
using Mediator.Api.State;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using PickupAspire.TestSupport;

namespace Mediator.Api.Tests.Support;

/// <summary>
/// One mediator replica: the real <c>Program.cs</c> (WebApplicationFactory) on real Kestrel at a loopback port, against
/// a real PostgreSQL database. Several hosts on one connection string are several replicas of one mediator.
/// </summary>
public sealed class MediatorTestHost : IAsyncDisposable
{
    private readonly Factory _factory;

    private MediatorTestHost(Factory factory, Uri http, string connectionString)
    {
        _factory = factory;
        HttpEndpoint = http;
        WebSocketEndpoint = new Uri($"ws://{http.Authority}/");
        ConnectionString = connectionString;
    }

    /// <summary>e.g. http://127.0.0.1:41234/ (also <c>Mediator:PublicEndpoint</c>).</summary>
    public Uri HttpEndpoint { get; }

    public Uri WebSocketEndpoint { get; }

    public string ConnectionString { get; }

    public IServiceProvider Services => _factory.Services;

    public ConnectionStore Connections => Services.GetRequiredService<ConnectionStore>();

    public MediatorKeyRing Keys => Services.GetRequiredService<MediatorKeyRing>();

    /// <summary>A client for this host (no base address tricks: absolute URLs from <see cref="HttpEndpoint"/>).</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = HttpEndpoint, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Starts a replica on a new database (name prefix <paramref name="database"/>).</summary>
    public static async Task<MediatorTestHost> StartOnNewDatabaseAsync(string database = "mediator",
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync(database);
        return await StartAsync(connectionString, settings, services);
    }

    /// <summary>Starts a replica on an existing database (another replica of the same mediator).</summary>
    public static async Task<MediatorTestHost> StartAsync(string connectionString,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var port = FreePort();
        var http = new Uri($"http://127.0.0.1:{port}/");
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:pickup"] = connectionString,
            ["Mediator:PublicEndpoint"] = $"http://127.0.0.1:{port}",
            ["Mediator:PublicWebSocketEndpoint"] = $"ws://127.0.0.1:{port}",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;
        var factory = new Factory(all, services);
        factory.UseKestrel(port);
        try
        {
            await Task.Run(factory.StartServer);
        }
        catch
        {
            await factory.DisposeAsync();
            throw;
        }
        return new MediatorTestHost(factory, http, connectionString);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services)
        : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
            if (services is not null) builder.ConfigureServices(services);
        }
    }
}
