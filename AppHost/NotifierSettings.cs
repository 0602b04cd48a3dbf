using Microsoft.Extensions.Configuration;

namespace PickupAspire.AppHost;

/// <summary>
/// Hands the notifier its channel settings from the AppHost: webhook URLs from configuration
/// (<c>Notifier:Webhooks:Urls:N</c>), the SignalR API key as a secret parameter, the APNs key id, team id and topic as
/// parameters beside the APNs key. Everything is optional: unset means that channel is off, so
/// <c>dotnet run --project AppHost</c> needs no manual step.
/// </summary>
internal static class NotifierSettings
{
    /// <summary>The AppHost configuration section whose <c>Urls</c> list is handed to the notifier.</summary>
    public const string WebhookUrlsSection = "Notifier:Webhooks:Urls";

    public static IResourceBuilder<ProjectResource> WithNotifierSettings(this IResourceBuilder<ProjectResource> notifier,
        IDistributedApplicationBuilder builder,
        IResourceBuilder<ParameterResource> webhookSigningSecret,
        IResourceBuilder<ParameterResource> fcmServiceAccountJson,
        IResourceBuilder<ParameterResource> apnsKey)
    {
        // Webhook receivers: a list in the AppHost's configuration (appsettings, Notifier__Webhooks__Urls__0=... in the
        // environment, or --Notifier:Webhooks:Urls:0=... as an argument). Not secret: each request is signed.
        var urls = builder.Configuration.GetSection(WebhookUrlsSection).GetChildren()
            .Select(url => url.Value?.Trim())
            .Where(url => !string.IsNullOrEmpty(url))
            .ToList();
        for (var i = 0; i < urls.Count; i++)
        {
            notifier.WithEnvironment($"Notifier__Webhooks__Urls__{i}", urls[i]);
        }
        notifier.WithEnvironment("Notifier__Webhooks__SigningSecret", webhookSigningSecret);

        // SignalR subscribers authenticate with this key (16+ characters). Empty: the hub refuses everyone.
        var signalRApiKey = builder.AddParameter("notifier-signalr-api-key", Secrets.Optional(), secret: true);
        notifier.WithOptionalEnvironment(builder, "Notifier__SignalR__ApiKeys__0", signalRApiKey);

        // Push credentials: FCM's service account; APNs' key with its key id, team id and topic (all four or none).
        notifier.WithEnvironment("Notifier__Fcm__ServiceAccountJson", fcmServiceAccountJson);
        notifier.WithEnvironment("Notifier__Apns__Key", apnsKey);
        notifier.WithEnvironment("Notifier__Apns__KeyId", builder.AddParameter("apns-key-id", Secrets.Optional()));
        notifier.WithEnvironment("Notifier__Apns__TeamId", builder.AddParameter("apns-team-id", Secrets.Optional()));
        notifier.WithEnvironment("Notifier__Apns__Topic", builder.AddParameter("apns-topic", Secrets.Optional()));
        return notifier;
    }

    /// <summary>
    /// Sets <paramref name="name"/> to the parameter's value only when it has one in a local run (an empty list entry
    /// would not be "off" but an invalid key); a published manifest always refers to the parameter.
    /// </summary>
    private static void WithOptionalEnvironment(this IResourceBuilder<ProjectResource> resource, IDistributedApplicationBuilder builder,
        string name, IResourceBuilder<ParameterResource> parameter)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            resource.WithEnvironment(name, parameter);
            return;
        }
        resource.WithEnvironment(async context =>
        {
            var value = await parameter.Resource.GetValueAsync(context.CancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(value)) context.EnvironmentVariables[name] = value;
        });
    }
}
