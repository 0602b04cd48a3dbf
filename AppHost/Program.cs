using Microsoft.Extensions.Configuration;
using PickupAspire.AppHost;
using PickupAspire.AppHost.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

// PostgreSQL from where Postgres:Mode says: auto (default) | container | local | external. See README.
var database = builder.AddPickupDatabase("pickup");

// Secrets. Generated ones are created on the first run and kept in the AppHost's user secrets;
// the push credentials are optional (empty: that channel is off). Set any of them as Parameters:<name>.
var mediatorKeySeed = builder.AddParameter("mediator-key-seed", Secrets.Generated(), secret: true, persist: true);
var webhookSigningSecret = builder.AddParameter("webhook-signing-secret", Secrets.Generated(), secret: true, persist: true);
var fcmServiceAccountJson = builder.AddParameter("fcm-service-account-json", Secrets.Optional(), secret: true);
var apnsKey = builder.AddParameter("apns-key", Secrets.Optional(), secret: true);

// Replicas of the mediator: Parameters:mediator-replicas (read when the model is built; not in the manifest).
var replicas = builder.AddParameter("mediator-replicas").ExcludeFromManifest();
var replicaCount = builder.Configuration.GetValue($"Parameters:{replicas.Resource.Name}", 3);

// The public endpoint wallets and invitations use: a fixed local port, balanced over the replicas per TCP connection
// by the AppHost's proxy. A replica behind the proxy cannot know this URL, so it is handed to every replica.
var mediatorPort = builder.Configuration.GetValue("Mediator:PublicPort", 5080);
var mediator = builder.AddProject<Projects.Mediator_Api>("mediator-api")
    .WithEndpoint("http", endpoint => endpoint.Port = mediatorPort)
    .WithExternalHttpEndpoints()
    .WithReplicas(replicaCount)
    .WithReference(database)
    .WaitFor(database)
    .WithEnvironment("Mediator__KeySeed", mediatorKeySeed)
    .WithHttpHealthCheck("/health");
var mediatorHttp = mediator.GetEndpoint("http");
mediator
    .WithEnvironment("Mediator__PublicEndpoint", mediatorHttp)
    .WithEnvironment("Mediator__PublicWebSocketEndpoint",
        ReferenceExpression.Create($"ws://{mediatorHttp.Property(EndpointProperty.HostAndPort)}"));

var notifierPort = builder.Configuration.GetValue("Notifier:PublicPort", 5090);
builder.AddProject<Projects.Notifier_Worker>("notifier-worker")
    .WithEndpoint("http", endpoint => endpoint.Port = notifierPort)
    .WithExternalHttpEndpoints()
    .WithReference(database)
    .WaitFor(database)
    .WithNotifierSettings(builder, webhookSigningSecret, fcmServiceAccountJson, apnsKey)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
