using PickupAspire.TestSupport;
using System.Net;
using Mediator.Api.MessagePickup;
using Mediator.Api.Tests.Routing;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mediator.Api.Tests.MessagePickup;

/// <summary>A replica stopping with a live session still registered hands that wallet's messages to the notifier, cleanly.</summary>
public class ShutdownTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopping_a_replica_with_a_live_session_logs_no_error_and_queues_the_unacknowledged_message_for_the_notifier(bool socketClosesFirst)
    {
        var errors = new ErrorLog();
        var host = await RoutingTestApp.StartOnNewDatabaseAsync(new Dictionary<string, string?> { ["Pickup:LeaseDuration"] = "00:10:00" },
            services => services.AddSingleton<ILoggerProvider>(errors));
        string connectionId;
        Guid pushedId;
        try
        {
            var wallet = await MediatedWallet.CreateAsync(host);
            connectionId = (await host.Connections.FindByTheirVerkeyAsync(wallet.Wallet.Key.Verkey, CancellationToken.None))!.Id.ToString();
            var socket = await wallet.Wallet.OpenWebSocketAsync();
            var (inbox, _) = await LiveDeliveryTests.Inbox.GoLiveAsync(socket);
            Assert.Equal(HttpStatusCode.Accepted, await MediatedWallet.PostForwardAsync(host, wallet.ForwardEnvelope(wallet.NewInnerEnvelope("not acknowledged"))));
            // Pushed and not acknowledged: leased to the live session when the replica stops.
            pushedId = Guid.Parse(Assert.Single(await inbox.NextDeliveryAsync()).Id);
            // The wallet's socket goes away as the host stops (a test's `await using` disposes it just before the host).
            if (socketClosesFirst) await socket.DisposeAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        // The session is still registered when the host stops (the socket open, or just closed within its release delay).
        await host.DisposeAsync();

        Assert.Empty(errors.Errors);
        await using var dataSource = NpgsqlDataSource.Create(host.ConnectionString);
        await using (var sessions = dataSource.CreateCommand("SELECT count(*) FROM pickup.live_sessions"))
            Assert.Equal(0L, await sessions.ExecuteScalarAsync());
        await using var outbox = dataSource.CreateCommand("SELECT message_id FROM pickup.outbox WHERE connection_id = $1");
        outbox.Parameters.Add(new NpgsqlParameter { Value = connectionId });
        var queued = new List<Guid>();
        await using (var reader = await outbox.ExecuteReaderAsync())
            while (await reader.ReadAsync()) queued.Add(reader.GetGuid(0));
        Assert.Equal([pushedId], queued);
    }
}
