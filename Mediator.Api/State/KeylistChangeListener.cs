using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Mediator.Api.State;

/// <summary>
/// One LISTEN connection per process on <see cref="MediatorSql.KeylistChannel"/>: drops the keylist cache entries of
/// keys changed by any replica. While it is not listening the cache is bypassed; each time it listens again the cache
/// starts empty, because notifications sent while it was away are lost. Reconnects with exponential backoff and
/// jitter; probes an idle connection so a half-open one is noticed; logs every failure.
/// </summary>
public sealed class KeylistChangeListener(
    NpgsqlDataSource dataSource,
    KeylistCache cache,
    IOptions<MediatorStateOptions> options,
    TimeProvider time,
    MediatorStateMetrics metrics,
    ILogger<KeylistChangeListener> logger) : BackgroundService
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
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand(MediatorSql.Listen, connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);

                // From here every change is notified to us: only now may the (emptied) cache serve lookups.
                cache.Resume();
                Volatile.Write(ref _backendProcessId, connection.ProcessID);
                var connects = Interlocked.Increment(ref _connects);
                metrics.ListenerConnected();
                MediatorStateLog.ListenerListening(logger, connection.ProcessID, connects);
                _firstListen.TrySetResult();
                attempt = 0;

                while (true)
                {
                    if (!await connection.WaitAsync(settings.ListenerKeepAliveInterval, stoppingToken).ConfigureAwait(false))
                    {
                        await using var ping = new NpgsqlCommand(MediatorSql.Ping, connection);
                        await ping.ExecuteScalarAsync(stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                cache.Suspend();
                Volatile.Write(ref _backendProcessId, 0);
                metrics.ListenerFailed();
                attempt++;
                var delay = Backoff(settings, attempt);
                MediatorStateLog.ListenerFailed(logger, e, attempt, delay);
                try
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            finally
            {
                cache.Suspend();
                Volatile.Write(ref _backendProcessId, 0);
            }
        }
        MediatorStateLog.ListenerStopped(logger);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
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

    private static TimeSpan Backoff(MediatorStateOptions settings, int attempt)
    {
        var min = settings.ListenerReconnectMinDelay.TotalMilliseconds;
        var max = settings.ListenerReconnectMaxDelay.TotalMilliseconds;
        var exponential = Math.Min(max, min * Math.Pow(2, Math.Min(attempt - 1, 20)));
        // +-20% jitter, so replicas cut off together do not reconnect in lockstep.
        var jittered = exponential * (0.8 + 0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, min, max));
    }
}
