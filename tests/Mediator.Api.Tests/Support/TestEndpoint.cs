using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mediator.Api.Tests.Support;

/// <summary>
/// A wallet's (or another agent's) inbound endpoint on a loopback port: records every envelope POSTed to <c>/</c> or sent
/// over a WebSocket to <c>/ws</c>. <see cref="StatusCode"/> sets what POSTs answer.
/// </summary>
public sealed class TestEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string? ContentType, byte[] Body)> _received = new();
    private readonly SemaphoreSlim _signal = new(0);

    private TestEndpoint(WebApplication app) => _app = app;

    public Uri HttpUrl { get; private set; } = null!;
    public Uri WebSocketUrl { get; private set; } = null!;
    public int StatusCode { get; set; } = 202;

    public static async Task<TestEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var endpoint = new TestEndpoint(app);
        app.UseWebSockets();
        app.MapPost("/", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            endpoint.Record(http.Request.ContentType, body.ToArray());
            return Results.StatusCode(endpoint.StatusCode);
        });
        app.Map("/ws", async (HttpContext http) =>
        {
            if (!http.WebSockets.IsWebSocketRequest) return Results.BadRequest();
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), http.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", http.RequestAborted);
                    return Results.Empty;
                }
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    endpoint.Record("websocket", message.ToArray());
                    message.SetLength(0);
                }
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        endpoint.HttpUrl = new Uri(address + "/");
        endpoint.WebSocketUrl = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws");
        return endpoint;
    }

    private void Record(string? contentType, byte[] body)
    {
        _received.Enqueue((contentType, body));
        _signal.Release();
    }

    /// <summary>The next envelope received (content type "websocket" for WebSocket frames).</summary>
    public async Task<(string? ContentType, byte[] Body)> ReceiveAsync(TimeSpan? timeout = null)
    {
        if (!await _signal.WaitAsync(timeout ?? TimeSpan.FromSeconds(15))) throw new TimeoutException("Nothing arrived at the test endpoint.");
        _received.TryDequeue(out var item);
        return item;
    }

    public int Count => _received.Count;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
