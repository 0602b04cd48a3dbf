using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Pickup.Core.Notifications;

namespace Mediator.Api.State;

/// <summary>
/// One LISTEN connection per process on <see cref="MediatorSql.KeylistChannel"/>: drops the keylist cache entries of
/// keys changed by any replica. While it is not listening the cache is bypassed; each time it listens again the cache
/// starts empty, because notifications sent while it was away are lost. The connection is run by Pickup.Core's
/// <see cref="ListenLoop"/> (reconnects with exponential backoff and jitter, probes an idle connection, logs every failure).
/// </summary>
public sealed class KeylistChangeListener(
    NpgsqlDataSource dataSource,
    KeylistCache cache,
    IOptions<MediatorStateOptions> options,
    TimeProvider time,
    MediatorStateMetrics metrics,
    ILogger<KeylistChangeListener> logger) : BackgroundService, IListenTarget
{
    private readonly TaskCompletionSource _firstListen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _connects;
    private int _backendProcessId;

    /// <summary>Whether the listener holds a listening connection now.</summary>
    public bool IsListening => cache.IsEnabled;

    /// <summary>How many times it has started listening (1 after the first connect; +1 per reconnect).</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>The PostgreSQL backend pid of the listening connection (0 when not listening); for operators and tests.</summary>
    public int BackendProcessId => Volatile.Read(ref _backendProcessId);

    /// <summary>Completes when the listener first listens.</summary>
    public Task FirstListen => _firstListen.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var loop = new ListenLoopSettings(MediatorSql.Listen, MediatorSql.Unlisten, MediatorSql.Ping,
            settings.ListenerKeepAliveInterval, settings.ListenerReconnectMinDelay, settings.ListenerReconnectMaxDelay);
        try
        {
            await ListenLoop.RunAsync(dataSource, loop, this, time, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            cache.Suspend();
            Volatile.Write(ref _backendProcessId, 0);
        }
        MediatorStateLog.ListenerStopped(logger);
    }

    Task IListenTarget.OnListeningAsync(int backendProcessId, long connects, CancellationToken cancellationToken)
    {
        // From here every change is notified to us: only now may the (emptied) cache serve lookups.
        cache.Resume();
        Volatile.Write(ref _backendProcessId, backendProcessId);
        Interlocked.Exchange(ref _connects, connects);
        metrics.ListenerConnected();
        MediatorStateLog.ListenerListening(logger, backendProcessId, connects);
        _firstListen.TrySetResult();
        return Task.CompletedTask;
    }

    void IListenTarget.OnLost(Exception exception, int attempt, TimeSpan delay)
    {
        cache.Suspend();
        Volatile.Write(ref _backendProcessId, 0);
        metrics.ListenerFailed();
        MediatorStateLog.ListenerFailed(logger, exception, attempt, delay);
    }

    void IListenTarget.OnNotification(NpgsqlNotificationEventArgs e)
    {
        if (e.Channel != MediatorSql.KeylistChannel)
        {
            MediatorStateLog.UnexpectedChannel(logger, e.Channel);
            return;
        }
        if (e.Payload == "*")
        {
            cache.Clear();
            return;
        }
        cache.Invalidate(e.Payload.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
