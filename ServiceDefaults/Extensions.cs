using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every PickupAspire service shares: OpenTelemetry, health checks, service discovery and resilient HttpClients.
/// </summary>
public static class ServiceDefaultsExtensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddBasicServiceDefaults();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Timeouts, circuit breaker and retries of safe requests for every HttpClient. Unsafe ones (POST: webhooks,
            // pushes, forwards) are not retried here: their senders retry with their own backoff and counts, so one
            // "try" stays one request and a dead letter means what it says.
            http.AddStandardResilienceHandler(options => options.Retry.DisableForUnsafeHttpMethods());
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>Telemetry and health checks, without the HttpClient defaults (for workers that configure their own).</summary>
    public static TBuilder AddBasicServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }

    /// <summary>
    /// OpenTelemetry logs, metrics and traces, exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the AppHost
    /// sets it for every resource). Without it nothing would read what the SDK records, so nothing is registered: no span
    /// with its tags per HTTP request, per inbound message and per Npgsql command, no metric aggregation and no log record
    /// copy on the hot path (issue 6: ~4-5 % of a replica's sampled CPU per live message, see tests/LoadGenerator/README.md).
    /// The sources and meters stay (any listener, e.g. dotnet-counters or a test's ActivityListener, still sees them), and
    /// sampling with an exporter follows the standard <c>OTEL_TRACES_SAMPLER</c> / <c>OTEL_TRACES_SAMPLER_ARG</c>.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!HasOtlpExporter(builder.Configuration)) return builder;

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryNames.Meters))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryNames.Sources)
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                        // A WebSocket's upgrade request lasts as long as the socket (minutes to hours): no span for it, so that
                        // an idle socket holds no recorded activity and its tags; each message on it gets its own trace.
                        && !IsWebSocketUpgrade(context))
                .AddHttpClientInstrumentation());

        builder.Services.AddOpenTelemetry().UseOtlpExporter();
        return builder;
    }

    /// <summary>Whether telemetry has somewhere to go: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
    public static bool HasOtlpExporter(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
    }

    /// <summary>
    /// Whether <paramref name="context"/> asks for a WebSocket (HTTP/1.1 <c>Upgrade: websocket</c>, or an HTTP/2 extended
    /// CONNECT with <c>:protocol websocket</c>). Read from the request itself: tracing decides before the WebSocket middleware runs.
    /// </summary>
    public static bool IsWebSocketUpgrade(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
            return string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);
        if (!HttpMethods.IsGet(context.Request.Method)) return false;
        foreach (var value in context.Request.Headers.Upgrade)
        {
            if (value is not null && value.Contains("websocket", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Health endpoints carry no secrets here; they are mapped in every environment so that the AppHost
        // (and any orchestrator) can probe replicas.
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}

/// <summary>The ActivitySource and Meter names of PickupAspire's own components.</summary>
public static class TelemetryNames
{
    public const string PickupCore = "Pickup.Core";
    public const string Mediator = "Mediator.Api";
    public const string Notifier = "Notifier.Worker";

    public static readonly string[] Sources = [PickupCore, Mediator, Notifier, "Npgsql"];
    public static readonly string[] Meters = [PickupCore, Mediator, Notifier, "Npgsql"];
}
