using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Notifier.Worker.Tests.Support;
using PickupAspire.TestSupport;

namespace Notifier.Worker.Tests;

public sealed class CompositionTests
{
    /// <summary>The worker exactly as Program.cs composes it (service defaults, the Aspire data source "pickup", the
    /// notifier), on a database that does not exist yet, with the AppHost's settings.</summary>
    [Fact]
    public async Task The_worker_composes_with_the_service_defaults_and_the_Aspire_data_source()
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = server.DatabaseConnectionString(PostgresServer.UniqueName("compose"));
        await using var hook = await LoopbackServer.StartAsync();

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:pickup"] = connectionString,
            ["Notifier:Webhooks:SigningSecret"] = NotifierTestHost.Secret,
            ["Notifier:Webhooks:Urls:0"] = new Uri(hook.BaseUri, "/hook").ToString(),
            ["Notifier:Fcm:ServiceAccountJson"] = "",
            ["Notifier:Apns:Key"] = "",
            ["Notifier:Relay:CoalesceWindow"] = "00:00:00",
        });
        builder.WebHost.UseSetting("urls", "http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddNpgsqlDataSource("pickup");
        builder.AddNotifier();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapNotifierHubs();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.StartAsync(timeout.Token);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient { BaseAddress = address };
        var health = await http.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
        Assert.True(health.IsSuccessStatusCode, $"/health answered {(int)health.StatusCode}: {await health.Content.ReadAsStringAsync(timeout.Token)}");
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync(timeout.Token));
        // The hub is mapped and refuses a client without a key.
        var negotiate = await http.PostAsync(new Uri("/hubs/notifications/negotiate?negotiateVersion=1", UriKind.Relative), null, timeout.Token);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, negotiate.StatusCode);

        // And it relays through the service defaults' HttpClient pipeline.
        await using (var pickup = await PickupSide.StartAsync(connectionString))
        {
            await pickup.AddAsync(PostgresServer.UniqueName("conn"));
            await Eventually.WaitAsync(() => !hook.Requests.IsEmpty, "webhook through the composed worker");
        }
        await app.StopAsync(timeout.Token);
    }
}
