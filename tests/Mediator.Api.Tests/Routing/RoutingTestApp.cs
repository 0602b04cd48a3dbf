using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Mediator.Api.CoordinateMediation;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mediator.Api.Tests.Routing;

/// <summary>
/// The real mediator (Program.cs on Kestrel, <see cref="MediatorTestHost"/>) with the routing protocols added the way
/// Program.cs adds them (<c>builder.AddMediatorRouting()</c>), until Program.cs calls it itself.
/// </summary>
internal static class RoutingTestApp
{
    public static Task<MediatorTestHost> StartOnNewDatabaseAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        MediatorTestHost.StartOnNewDatabaseAsync("routing", WithDefaults(settings), AddRouting);

    /// <summary>Like <see cref="StartOnNewDatabaseAsync(IReadOnlyDictionary{string, string?}?)"/>, with more services (e.g. a logger provider).</summary>
    public static Task<MediatorTestHost> StartOnNewDatabaseAsync(IReadOnlyDictionary<string, string?>? settings, Action<IServiceCollection> services) =>
        MediatorTestHost.StartOnNewDatabaseAsync("routing", WithDefaults(settings), s =>
        {
            AddRouting(s);
            services(s);
        });

    public static Task<MediatorTestHost> StartAsync(string connectionString, IReadOnlyDictionary<string, string?>? settings = null) =>
        MediatorTestHost.StartAsync(connectionString, WithDefaults(settings), AddRouting);

    private static Dictionary<string, string?> WithDefaults(IReadOnlyDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Pickup:InstanceId"] = "host-" + Guid.NewGuid().ToString("N")[..8],
            ["Pickup:MaintenanceInterval"] = "00:00:00.200",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;
        return all;
    }

    private static void AddRouting(IServiceCollection services)
    {
        // Skip when Program.cs already calls AddMediatorRouting.
        if (services.Any(d => d.ServiceType == typeof(CoordinateMediationService))) return;
        new ServicesOnlyBuilder(services).AddMediatorRouting();
    }

    /// <summary>Lets an IHostApplicationBuilder extension register into a WebApplicationFactory's service collection.</summary>
    private sealed class ServicesOnlyBuilder(IServiceCollection services) : IHostApplicationBuilder
    {
        public IDictionary<object, object> Properties { get; } = new Dictionary<object, object>();
        public IConfigurationManager Configuration { get; } = new ConfigurationManager();
        public IHostEnvironment Environment => throw new NotSupportedException();
        public ILoggingBuilder Logging => throw new NotSupportedException();
        public IMetricsBuilder Metrics => throw new NotSupportedException();
        public IServiceCollection Services { get; } = services;

        public void ConfigureContainer<TContainerBuilder>(IServiceProviderFactory<TContainerBuilder> factory,
            Action<TContainerBuilder>? configure = null) where TContainerBuilder : notnull => throw new NotSupportedException();
    }
}

/// <summary>A wallet connected to the mediator with mediation granted, and a sender that forwards to it.</summary>
internal sealed class MediatedWallet
{
    private MediatedWallet(TestWallet wallet, string routingVerkey, string recipientVerkey)
    {
        Wallet = wallet;
        RoutingVerkey = routingVerkey;
        RecipientVerkey = recipientVerkey;
    }

    public TestWallet Wallet { get; }

    /// <summary>The mediator's routing key from the grant (base58).</summary>
    public string RoutingVerkey { get; }

    /// <summary>The key the wallet registered in its keylist (senders address it).</summary>
    public string RecipientVerkey { get; }

    public static async Task<MediatedWallet> CreateAsync(MediatorTestHost host, string label = "Mediated wallet")
    {
        var wallet = new TestWallet(host, label);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        var grant = await wallet.RequestHttpAsync(new MessageBuilder(CoordinateMediationMessages.MediateRequest));
        Assert.Equal(CoordinateMediationMessages.MediateGrant, grant.Type);
        var routingKey = grant.Message.GetStringArray("routing_keys")![0];
        var recipient = Mediator.Didcomm.Keys.Ed25519KeyPair.Generate().Verkey;
        var update = await wallet.RequestHttpAsync(new MessageBuilder(CoordinateMediationMessages.KeylistUpdate)
            .With("updates", new JsonArray(new JsonObject { ["recipient_key"] = Mediator.Api.State.RecipientKeys.ToDidKey(recipient), ["action"] = "add" })));
        Assert.Equal("success", update.Message.GetArray("updated")![0]!["result"]!.GetValue<string>());
        return new MediatedWallet(wallet, Mediator.Api.State.RecipientKeys.Normalise(routingKey), recipient);
    }

    /// <summary>An envelope for the wallet's recipient key (what a sender puts in a forward's msg).</summary>
    public byte[] NewInnerEnvelope(string content) =>
        EnvelopePacker.Pack(new MessageBuilder("https://didcomm.org/basicmessage/1.0/message").With("content", content).ToUtf8Bytes(),
            [RecipientVerkey], null);

    /// <summary>A sender's forward of <paramref name="inner"/>, anoncrypted to the mediator's routing key.</summary>
    public byte[] ForwardEnvelope(byte[] inner)
    {
        var plaintext = new List<byte>();
        plaintext.AddRange(System.Text.Encoding.UTF8.GetBytes(
            $"{{\"@type\":\"https://didcomm.org/routing/1.0/forward\",\"@id\":\"{Guid.NewGuid()}\",\"to\":\"{RecipientVerkey}\",\"msg\":"));
        plaintext.AddRange(inner);
        plaintext.Add((byte)'}');
        return EnvelopePacker.Pack([.. plaintext], [RoutingVerkey], null);
    }

    /// <summary>Posts a forward to <paramref name="host"/> as a sender would (no return route, anoncrypt).</summary>
    public static async Task<System.Net.HttpStatusCode> PostForwardAsync(MediatorTestHost host, byte[] forwardEnvelope)
    {
        using var client = host.CreateHttpClient();
        using var content = new ByteArrayContent(forwardEnvelope);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/didcomm-envelope-enc");
        using var response = await client.PostAsync(host.HttpEndpoint, content);
        return response.StatusCode;
    }
}
