using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PickupAspire.AppHost.Tests.Support;

/// <summary>A webhook request as it arrived: the exact body bytes and the signature headers.</summary>
public sealed record ReceivedWebhook(byte[] Body, string? Timestamp, string? Signature, string? EventId, DateTimeOffset ReceivedAt);

/// <summary>
/// What the tests run on loopback for the app to call: the webhook receiver (<c>POST /webhook</c>, answers 200) and an
/// OTLP/HTTP receiver (<c>/v1/traces</c> parsed into <see cref="Spans"/>; metrics and logs accepted and dropped).
/// Started before the AppHost so that its URL can be handed to the notifier and the services.
/// </summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _webhooks = new();
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private LoopbackReceiver(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;
    public Uri WebhookUrl => new(BaseUrl, "webhook");

    public IReadOnlyCollection<ReceivedWebhook> Webhooks => _webhooks;
    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    /// <summary>OTLP requests that did not parse (a test that finds no span says why).</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    public static async Task<LoopbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new LoopbackReceiver(app);
        app.MapPost("/webhook", receiver.OnWebhookAsync);
        app.MapPost("/v1/traces", receiver.OnTracesAsync);
        app.MapPost("/v1/metrics", OkAsync);
        app.MapPost("/v1/logs", OkAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return receiver;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over what arrived; fails with <paramref name="what"/> after the timeout.</summary>
    public Task<T> WaitForAsync<T>(Func<LoopbackReceiver, T?> condition, TimeSpan timeout, string what) where T : class =>
        WaitForAsync(condition, timeout, () => what);

    /// <summary>Like <see cref="WaitForAsync{T}(Func{LoopbackReceiver, T}, TimeSpan, string)"/>; <paramref name="what"/> is
    /// evaluated on timeout, so it can describe what did arrive.</summary>
    public async Task<T> WaitForAsync<T>(Func<LoopbackReceiver, T?> condition, TimeSpan timeout, Func<string> what) where T : class
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (condition(this) is { } result) return result;
            try
            {
                await _arrived.WaitAsync(TimeSpan.FromMilliseconds(500), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Not within {timeout}: {what()}. OTLP errors: {string.Join("; ", _errors)}");
            }
        }
    }

    private async Task OnWebhookAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers;
        _webhooks.Enqueue(new ReceivedWebhook(body.ToArray(), headers["X-PickupAspire-Timestamp"], headers["X-PickupAspire-Signature"],
            headers["X-PickupAspire-Event-Id"], DateTimeOffset.UtcNow));
        _arrived.Release();
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task OnTracesAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        try
        {
            foreach (var span in OtlpTraces.Read(body.ToArray())) _spans.Enqueue(span);
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            _errors.Enqueue($"{context.Request.ContentType}, {body.Length} bytes: {e.Message}");
        }
        _arrived.Release();
        context.Response.ContentType = "application/x-protobuf";
    }

    private static async Task OkAsync(HttpContext context)
    {
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        context.Response.ContentType = "application/x-protobuf";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrived.Dispose();
    }
}
