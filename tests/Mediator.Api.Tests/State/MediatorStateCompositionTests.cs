using Mediator.Api.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PickupAspire.TestSupport;

namespace Mediator.Api.Tests.State;

public class MediatorStateCompositionTests
{
    [Fact]
    public async Task AddMediatorState_composes_with_the_service_defaults_and_the_Aspire_data_source()
    {
        var server = await PostgresServer.GetSharedAsync();
        // A database that does not exist yet: the migrator creates it.
        var connectionString = server.DatabaseConnectionString(PostgresServer.UniqueName("compose"));

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:pickup"] = connectionString });
        builder.WebHost.UseSetting("urls", "http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddNpgsqlDataSource("pickup");
        builder.AddMediatorState();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.StartAsync(timeout.Token);
        await app.Services.GetRequiredService<KeylistChangeListener>().FirstListen.WaitAsync(timeout.Token);

        Assert.Equal(MediatorKeySource.Stored, app.Services.GetRequiredService<MediatorIdentityStore>().Current.Source);
        var health = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(timeout.Token);
        Assert.True(health.Status == HealthStatus.Healthy,
            string.Join("; ", health.Entries.Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description} {e.Value.Exception?.Message}")));
        Assert.Contains("mediator-keylist-listener", health.Entries.Keys);
        await app.StopAsync(timeout.Token);
    }

    [Theory]
    [InlineData("Mediator:State:MaxKeysPerConnection", "0")]
    [InlineData("Mediator:State:MaxKeylistPageSize", "-1")]
    [InlineData("Mediator:State:KeylistCacheNegativeTtl", "-00:00:01")]
    [InlineData("Mediator:State:ListenerReconnectMaxDelay", "00:00:00.1")] // below the minimum delay
    [InlineData("Mediator:State:ListenerKeepAliveInterval", "00:00:00")]
    public async Task Invalid_options_stop_the_start_and_name_the_setting(string key, string value)
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync("options");
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StateReplica.StartAsync(connectionString, new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(key.Split(':')[^1], error.Message);
    }
}
