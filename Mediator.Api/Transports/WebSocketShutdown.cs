using Microsoft.Extensions.Hosting;

namespace Mediator.Api.Transports;

/// <summary>
/// A stopping replica says "going away" (1001) on every WebSocket and waits for the wallets' close replies (at most
/// <see cref="WebSocketSessionSweeper.ShutdownCloseGrace"/> and a little, then the sweeper aborts what is left) before
/// the server stops: run from <see cref="StoppingAsync"/>, i.e. before any hosted service's StopAsync and so before
/// Kestrel's, which would otherwise tear connections down while close frames are still on their way (the wallet then
/// saw a reset instead of 1001). The wallet reconnects to another replica either way; nothing is lost.
/// </summary>
internal sealed class WebSocketShutdown(WebSocketSessionSweeper sweeper) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        sweeper.OnStopping();
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(WebSocketSessionSweeper.ShutdownCloseGrace + TimeSpan.FromMilliseconds(500));
        try
        {
            await sweeper.WhenAllClosedAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Past the grace (or the host's own shutdown timeout): the sweeper aborts what is left.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
