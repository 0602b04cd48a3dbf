using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Notifier.Worker.Diagnostics;
using Notifier.Worker.Relay;
using Notifier.Worker.SignalR;
using Pickup.Core.Schema;

namespace Notifier.Worker.Hosting;

/// <summary>
/// Starts the notifier: migrates Pickup.Core's schema (so the outbox exists whichever process starts first) and its
/// own, starts the listener and waits for its first LISTEN, then runs the relay and the hub publisher.
/// </summary>
internal sealed class NotifierHostedService(
    NotifierRuntime runtime,
    OutboxListener listener,
    OutboxRelay relay,
    HubPublisher hub,
    IEnumerable<INotificationChannel> channels,
    ILogger<NotifierHostedService> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = runtime.Options;
        if (options.MigrateOnStart)
        {
            await SchemaMigrator.MigrateAsync(runtime.DataSource, PickupMigrations.Component, options.PickupSchema,
                PickupMigrations.For(options.PickupSchema), logger, cancellationToken);
            await SchemaMigrator.MigrateAsync(runtime.DataSource, "notifier", options.Schema, runtime.Sql.Migrations,
                logger, cancellationToken);
        }
        var stop = _stopping.Token;
        _loops.Add(Task.Run(() => hub.RunAsync(stop), CancellationToken.None));
        _loops.Add(Task.Run(() => listener.RunAsync(stop), CancellationToken.None));
        _loops.Add(Task.Run(() => relay.RunAsync(stop), CancellationToken.None));
        await listener.Connected.WaitAsync(cancellationToken);
        NotifierLog.Started(logger, runtime.WorkerId, options.PickupSchema,
            string.Join(", ", channels.Select(c => c.Name + (c switch
            {
                Webhooks.WebhookChannel => $"({options.Webhooks.Urls.Length} URL(s))",
                Push.FcmChannel f => f.Enabled ? "" : "(off)",
                Push.ApnsChannel a => a.Enabled ? "" : "(off)",
                _ => "",
            }))));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Loops end by cancellation; leases of rows in flight expire and come back to any worker.
        }
        _stopping.Dispose();
    }
}
