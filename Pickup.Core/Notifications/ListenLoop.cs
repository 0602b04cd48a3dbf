using Npgsql;

namespace Pickup.Core.Notifications;

/// <summary>What one dedicated LISTEN connection does when it listens, hears, and loses its connection.</summary>
public interface IListenTarget
{
    /// <summary>
    /// The connection now listens (first time or after a reconnect). Notifications sent while it was away are lost:
    /// this is where a listener catches up (sweep, relay pass, empty a cache). An exception here counts as a lost
    /// connection: the loop reconnects and calls this again.
    /// </summary>
    Task OnListeningAsync(int backendProcessId, long connects, CancellationToken cancellationToken);

    /// <summary>A notification arrived (on the connection's reader; keep it short and do not throw).</summary>
    void OnNotification(NpgsqlNotificationEventArgs notification);

    /// <summary>The connection failed (or <see cref="OnListeningAsync"/> threw); the loop retries after <paramref name="delay"/>.</summary>
    void OnLost(Exception exception, int attempt, TimeSpan delay);
}

/// <summary>The LISTEN statement, keep-alive probe and reconnect backoff of one <see cref="ListenLoop"/>.</summary>
/// <param name="Listen">The <c>LISTEN</c> statement(s) run on every (re)connect.</param>
/// <param name="Unlisten">Run before a still-open connection goes back to the pool (e.g. <c>UNLISTEN *</c>), so a pooled
/// connection never keeps a subscription (an idle listener that reads nothing holds PostgreSQL's notification queue).</param>
/// <param name="Ping">Sent when nothing arrived for <paramref name="KeepAlive"/>, so a half-open connection is noticed.</param>
/// <param name="KeepAlive">Idle time before a probe.</param>
/// <param name="MinReconnectDelay">First delay after a failure; doubles per failure in a row, with +-20% jitter (so
/// replicas cut off together do not reconnect in lockstep), never below this nor above <paramref name="MaxReconnectDelay"/>.</param>
/// <param name="MaxReconnectDelay">Largest delay between attempts.</param>
public sealed record ListenLoopSettings(
    string Listen,
    string Unlisten,
    string Ping,
    TimeSpan KeepAlive,
    TimeSpan MinReconnectDelay,
    TimeSpan MaxReconnectDelay);

/// <summary>
/// One dedicated connection that LISTENs and waits for notifications until stopped, the loop every PickupAspire listener
/// runs (Pickup.Core's instance channel, the notifier's outbox and events channels, the mediator's keylist channel).
/// Failure handling: any error (connection lost, probe timed out, the target's catch-up failed) is reported to the
/// target and retried with backoff; the delay is reset once listening again. Only the stopping token ends the loop.
/// Whenever the loop lets go of a connection that is still open (stopped, or a failed catch-up) it runs the
/// <see cref="ListenLoopSettings.Unlisten"/> statement first, so no pooled connection keeps a subscription.
/// </summary>
public static class ListenLoop
{
    /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled; returns normally then.</summary>
    public static async Task RunAsync(NpgsqlDataSource dataSource, ListenLoopSettings settings, IListenTarget target,
        TimeProvider time, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(time);
        var attempt = 0;
        long connects = 0;
        void OnNotification(object sender, NpgsqlNotificationEventArgs e) => target.OnNotification(e);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += OnNotification;
                try
                {
                    await using (var listen = new NpgsqlCommand(settings.Listen, connection))
                        await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                    await target.OnListeningAsync(connection.ProcessID, ++connects, stoppingToken).ConfigureAwait(false);
                    attempt = 0;
                    while (true)
                    {
                        if (!await connection.WaitAsync(settings.KeepAlive, stoppingToken).ConfigureAwait(false))
                        {
                            await using var ping = new NpgsqlCommand(settings.Ping, connection);
                            await ping.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    // Stopped, or failed while the connection is still healthy (e.g. the catch-up threw): it goes back
                    // to the pool without its subscriptions. A broken connection is discarded by the pool anyway.
                    connection.Notification -= OnNotification;
                    await UnlistenAsync(connection, settings.Unlisten).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                attempt++;
                var delay = Backoff(settings, attempt);
                target.OnLost(e, attempt, delay);
                try
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The delay before attempt <paramref name="attempt"/> + 1 (1-based count of failures in a row).</summary>
    public static TimeSpan Backoff(ListenLoopSettings settings, int attempt)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var min = settings.MinReconnectDelay.TotalMilliseconds;
        var max = Math.Max(min, settings.MaxReconnectDelay.TotalMilliseconds);
        var exponential = Math.Min(max, min * Math.Pow(2, Math.Min(Math.Max(attempt, 1) - 1, 20)));
        var jittered = exponential * (0.8 + 0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, min, max));
    }

    // Drop the subscriptions before the pool takes a still-open connection back. Best effort and bounded: if it fails
    // the connection is broken and the pool discards it.
    private static async Task UnlistenAsync(NpgsqlConnection connection, string unlisten)
    {
        if (connection.FullState != System.Data.ConnectionState.Open) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await using var command = new NpgsqlCommand(unlisten, connection);
            await command.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException or IOException or TimeoutException)
        {
            // The connection is unusable; disposing it closes the physical connection, which ends the subscription.
        }
    }
}
