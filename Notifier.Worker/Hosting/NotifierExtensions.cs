using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Notifier.Worker.Diagnostics;
using Notifier.Worker.Push;
using Notifier.Worker.Relay;
using Notifier.Worker.SignalR;
using Notifier.Worker.Webhooks;
using Npgsql;

namespace Notifier.Worker;

public static class NotifierExtensions
{
    /// <summary>
    /// Registers the notifier: <see cref="NotifierOptions"/> (section <c>Notifier</c>, validated at start), the outbox
    /// relay and its listener, the webhook, FCM, APNs and SignalR channels, the hub's API-key authentication, the
    /// <c>Notifier.Worker</c> ActivitySource and Meter, and a health check of the listener. Uses the
    /// <see cref="NpgsqlDataSource"/> in DI (Aspire.Npgsql's <c>AddNpgsqlDataSource("pickup")</c>).
    /// </summary>
    public static IHostApplicationBuilder AddNotifier(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<NotifierOptions>()
            .BindConfiguration(NotifierOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // An empty optional AppHost parameter arrives as a blank list entry: it means "none", not an invalid value.
        services.PostConfigure<NotifierOptions>(options =>
        {
            options.Webhooks.Urls = [.. options.Webhooks.Urls.Where(url => !string.IsNullOrWhiteSpace(url))];
            options.SignalR.ApiKeys = [.. options.SignalR.ApiKeys.Where(key => !string.IsNullOrWhiteSpace(key))];
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NotifierOptions>, NotifierOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new NotifierDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
        services.TryAddSingleton(sp => new NotifierTelemetry(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<NotifierRuntime>();
        services.TryAddSingleton<OutboxStore>();
        services.TryAddSingleton<OutboxRelay>();
        services.TryAddSingleton<OutboxListener>();
        services.TryAddSingleton<HubPublisher>();

        services.AddSingleton<WebhookChannel>();
        services.AddSingleton<FcmChannel>();
        services.AddSingleton<ApnsChannel>();
        services.AddSingleton<SignalRChannel>();
        services.AddSingleton<INotificationChannel>(sp => sp.GetRequiredService<WebhookChannel>());
        services.AddSingleton<INotificationChannel>(sp => sp.GetRequiredService<FcmChannel>());
        services.AddSingleton<INotificationChannel>(sp => sp.GetRequiredService<ApnsChannel>());
        services.AddSingleton<INotificationChannel>(sp => sp.GetRequiredService<SignalRChannel>());

        services.AddHttpClient(WebhookChannel.HttpClientName);
        services.AddHttpClient(FcmChannel.HttpClientName);
        services.AddHttpClient(ApnsChannel.HttpClientName);

        services.AddSignalR();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, _ => { });
        services.AddAuthorization();
        services.AddHealthChecks().AddCheck<OutboxListener>("notifier-outbox-listener");

        services.AddHostedService<Hosting.NotifierHostedService>();
        return builder;
    }

    /// <summary>Maps the SignalR hub at <see cref="NotificationsHub.Path"/> (<c>/hubs/notifications</c>).</summary>
    public static IEndpointRouteBuilder MapNotifierHubs(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHub<NotificationsHub>(NotificationsHub.Path);
        return app;
    }
}
