using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace PickupAspire.AppHost.Tests;

[Collection(AppHostCollection.Name)]
public sealed class SystemTests(AppHostFixture fixture)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_mediator_replica_is_healthy_on_its_own_endpoint()
    {
        var replicas = fixture.MediatorReplicaInfos;
        Assert.Equal(AppHostFixture.MediatorReplicas, replicas.Count);
        Assert.Equal(replicas.Count, replicas.Select(r => r.Url.Port).Distinct().Count());

        foreach (var replica in replicas)
        {
            using var client = new HttpClient { BaseAddress = replica.Url, Timeout = RequestTimeout };
            await AssertHealthyAsync(client, $"replica {replica.ResourceId} at {replica.Url}");
        }
    }

    [Fact]
    public async Task The_public_endpoint_answers_on_every_new_connection()
    {
        // The proxy balances per TCP connection: new clients (new connections) land on the replicas in turn.
        for (var i = 0; i < 2 * AppHostFixture.MediatorReplicas; i++)
        {
            using var client = fixture.App.CreateHttpClient(AppHostFixture.Mediator, "http");
            client.Timeout = RequestTimeout;
            client.DefaultRequestHeaders.ConnectionClose = true;
            await AssertHealthyAsync(client, $"the public endpoint {client.BaseAddress} (connection {i + 1})");
        }
    }

    [Fact]
    public void Every_replica_is_told_the_public_endpoint_it_is_reached_at()
    {
        var publicEndpoint = fixture.App.GetEndpoint(AppHostFixture.Mediator, "http");
        foreach (var replica in fixture.MediatorReplicaInfos)
        {
            Assert.Equal(publicEndpoint.ToString().TrimEnd('/'), replica.Environment.GetValueOrDefault("Mediator__PublicEndpoint")?.TrimEnd('/'));
            Assert.Equal($"ws://{publicEndpoint.Authority}", replica.Environment.GetValueOrDefault("Mediator__PublicWebSocketEndpoint"));
            Assert.NotEqual(publicEndpoint.Port, replica.Url.Port);
        }
    }

    [Fact]
    public async Task The_notifier_is_healthy()
    {
        using var client = fixture.App.CreateHttpClient(AppHostFixture.Notifier, "http");
        client.Timeout = RequestTimeout;
        await AssertHealthyAsync(client, "notifier-worker");
    }

    [Fact]
    public async Task The_database_is_reachable_with_the_connection_string_the_app_hands_out()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync(AppHostFixture.Database);
        Assert.False(string.IsNullOrEmpty(connectionString), "The app handed out no connection string for 'pickup'.");

        // Every replica got the same one, under the name Aspire.Npgsql reads.
        foreach (var replica in fixture.MediatorReplicaInfos)
        {
            Assert.Equal(connectionString, replica.Environment.GetValueOrDefault("ConnectionStrings__pickup"));
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_database(), current_setting('listen_addresses')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("pickup", reader.GetString(0));
        Assert.Equal("127.0.0.1", reader.GetString(1));
    }

    [Fact]
    public async Task Every_replica_exports_its_traces_over_otlp_continuing_the_callers_trace_context()
    {
        foreach (var replica in fixture.MediatorReplicaInfos)
        {
            var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            using var client = new HttpClient { BaseAddress = replica.Url, Timeout = RequestTimeout };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/invitation");
            request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
            using var response = await client.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"GET /invitation on {replica.Url}: {(int)response.StatusCode}");

            var span = await fixture.Receiver.WaitForAsync(r => r.Spans.FirstOrDefault(s => s.TraceId == traceId), RequestTimeout,
                $"a span of trace {traceId} from replica {replica.ResourceId}");
            Assert.Equal(AppHostFixture.Mediator, span.ServiceName);
            Assert.False(string.IsNullOrEmpty(span.ServiceInstanceId), $"The span has no service.instance.id: {span}");
        }
    }

    [Fact]
    public void The_notifier_is_handed_the_webhook_url_and_the_signalr_key_from_the_apphost()
    {
        var notifier = fixture.App.Services.GetRequiredService<ResourceNotificationService>();
        Assert.True(notifier.TryGetCurrentState(AppHostFixture.Notifier, out var state), "No state for the notifier.");
        var environment = state!.Snapshot.EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value);
        Assert.Equal(fixture.Receiver.WebhookUrl.ToString(), environment.GetValueOrDefault("Notifier__Webhooks__Urls__0"));
        Assert.False(environment.ContainsKey("Notifier__Webhooks__Urls__1"));
        Assert.Equal(AppHostFixture.SignalRApiKey, environment.GetValueOrDefault("Notifier__SignalR__ApiKeys__0"));
        Assert.Equal(AppHostFixture.WebhookSigningSecret, environment.GetValueOrDefault("Notifier__Webhooks__SigningSecret"));
    }

    [Fact]
    public async Task The_notifier_hub_admits_a_subscriber_with_the_api_key_and_refuses_one_without()
    {
        var hubUrl = new Uri(fixture.App.GetEndpoint(AppHostFixture.Notifier, "http"), "/hubs/notifications");
        await using (var refused = new HubConnectionBuilder().WithUrl(hubUrl).Build())
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => refused.StartAsync());
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, error.StatusCode);
        }
        await using var admitted = new HubConnectionBuilder()
            .WithUrl(hubUrl, options => options.Headers["X-Api-Key"] = AppHostFixture.SignalRApiKey)
            .Build();
        await admitted.StartAsync();
        await admitted.InvokeAsync("Subscribe", new[] { Guid.NewGuid().ToString() });
        Assert.Equal(HubConnectionState.Connected, admitted.State);
    }

    private static async Task AssertHealthyAsync(HttpClient client, string what)
    {
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{what}: expected 200 Healthy from /health, got {(int)response.StatusCode} '{body}'.");
        Assert.Equal("Healthy", body);
    }
}
