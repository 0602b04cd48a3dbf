using Mediator.Api.State;

namespace Mediator.Api.Tests.State;

public class MediationStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_request_then_a_grant_is_stored_as_the_latest_decision()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var connection = await replica.CreateConnectionAsync();
        Assert.Null(await replica.Mediations.GetAsync(connection.Id, None));

        var requested = await replica.Mediations.SaveAsync(
            new MediationRecord { ConnectionId = connection.Id, State = MediationState.Requested, ThreadId = "mediate-1" }, None);
        Assert.Equal(MediationState.Requested, requested.State);
        Assert.Empty(requested.RoutingKeys);

        var routingKey = RecipientKeys.ToDidKey(TestKeys.NewVerkey());
        var granted = await replica.Mediations.SaveAsync(requested with
        {
            State = MediationState.Granted, RoutingKeys = [routingKey], Endpoint = "https://mediator.example",
        }, None);

        var read = await replica.Mediations.GetAsync(connection.Id, None);
        Assert.NotNull(read);
        Assert.Equal(MediationState.Granted, read.State);
        Assert.Equal("mediate-1", read.ThreadId);
        Assert.Equal([routingKey], read.RoutingKeys);
        Assert.Equal("https://mediator.example", read.Endpoint);
        Assert.Equal(requested.CreatedAt, read.CreatedAt);
        Assert.Equal(granted.UpdatedAt, read.UpdatedAt);

        await replica.Mediations.SaveAsync(read with { State = MediationState.Denied, RoutingKeys = [], Endpoint = null }, None);
        Assert.Equal(MediationState.Denied, (await replica.Mediations.GetAsync(connection.Id, None))!.State);
    }

    [Fact]
    public async Task A_mediation_for_an_unknown_connection_is_refused()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var unknown = Guid.NewGuid();
        var error = await Assert.ThrowsAsync<ConnectionNotFoundException>(() =>
            replica.Mediations.SaveAsync(new MediationRecord { ConnectionId = unknown, State = MediationState.Requested }, None));
        Assert.Equal(unknown, error.ConnectionId);
    }
}
