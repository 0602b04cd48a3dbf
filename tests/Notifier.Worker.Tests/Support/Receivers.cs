using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Notifier.Worker.Tests.Support;

/// <summary>A request a loopback receiver got.</summary>
internal sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, string Protocol, DateTimeOffset At)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

/// <summary>
/// A real HTTP server on loopback Kestrel (standing in for a webhook receiver, Google's token and FCM endpoints, or
/// Apple's APNs endpoint). Every request is recorded; <see cref="Respond"/> decides the answer.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private LoopbackServer(WebApplication app) => _app = app;

    public ConcurrentQueue<Received> Requests { get; } = new();

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>(request, 1-based request number) -> status and JSON body. Default 200 "{}".</summary>
    public Func<Received, int, Task<(int Status, string Body)>> Respond { get; set; } = (_, _) => Task.FromResult((200, "{}"));

    public IEnumerable<Received> On(string pathPrefix) => Requests.Where(r => r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    public static async Task<LoopbackServer> StartAsync(HttpProtocols protocols = HttpProtocols.Http1AndHttp2)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = protocols));
        var app = builder.Build();
        var server = new LoopbackServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var received = new Received(context.Request.Path + context.Request.QueryString, headers, body.ToArray(),
            context.Request.Protocol, DateTimeOffset.UtcNow);
        var number = Interlocked.Increment(ref _count);
        Requests.Enqueue(received);
        var (status, json) = await Respond(received, number);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
