using Mediator.Api.State;

namespace Mediator.Api.Tests.State;

public class DeviceInfoStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Device_info_is_set_replaced_read_and_removed_per_connection()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var first = await replica.CreateConnectionAsync();
        var second = await replica.CreateConnectionAsync();
        Assert.Null(await replica.Devices.GetAsync(first.Id, None));

        var fcm = await replica.Devices.SetAsync(first.Id, PushService.Fcm, "fcm-token", "android", None);
        Assert.Equal(new DeviceInfo(first.Id, PushService.Fcm, "fcm-token", "android", fcm.UpdatedAt), await replica.Devices.GetAsync(first.Id, None));

        // Setting again replaces, even across services; apns has no platform.
        await replica.Devices.SetAsync(first.Id, PushService.Apns, "apns-token", null, None);
        var apns = await replica.Devices.GetAsync(first.Id, None);
        Assert.Equal(PushService.Apns, apns!.Service);
        Assert.Equal("apns-token", apns.DeviceToken);
        Assert.Null(apns.DevicePlatform);

        await replica.Devices.SetAsync(second.Id, PushService.Fcm, "other", "ios", None);
        var many = await replica.Devices.GetManyAsync([first.Id, second.Id, Guid.NewGuid()], None);
        Assert.Equal(2, many.Count);
        Assert.Equal("other", many[second.Id].DeviceToken);

        Assert.True(await replica.Devices.RemoveAsync(second.Id, None));
        Assert.False(await replica.Devices.RemoveAsync(second.Id, None));
        Assert.Null(await replica.Devices.GetAsync(second.Id, None));
    }

    [Fact]
    public async Task An_invalid_token_is_removed_only_while_it_is_still_the_connections_token()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var connection = await replica.CreateConnectionAsync();
        await replica.Devices.SetAsync(connection.Id, PushService.Fcm, "old-token", "android", None);
        await replica.Devices.SetAsync(connection.Id, PushService.Fcm, "new-token", "android", None);

        Assert.False(await replica.Devices.RemoveInvalidTokenAsync(connection.Id, "old-token", None));
        Assert.Equal("new-token", (await replica.Devices.GetAsync(connection.Id, None))!.DeviceToken);

        Assert.True(await replica.Devices.RemoveInvalidTokenAsync(connection.Id, "new-token", None));
        Assert.Null(await replica.Devices.GetAsync(connection.Id, None));
    }

    [Fact]
    public async Task Bad_device_info_is_refused_with_specific_errors()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var connection = await replica.CreateConnectionAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => replica.Devices.SetAsync(connection.Id, PushService.Fcm, " ", null, None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            replica.Devices.SetAsync(connection.Id, PushService.Fcm, new string('x', DeviceInfoStore.MaxTokenLength + 1), null, None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            replica.Devices.SetAsync(connection.Id, PushService.Fcm, "token", new string('p', 65), None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            replica.Devices.SetAsync(connection.Id, (PushService)7, "token", null, None));
        await Assert.ThrowsAsync<ConnectionNotFoundException>(() =>
            replica.Devices.SetAsync(Guid.NewGuid(), PushService.Apns, "token", null, None));
        Assert.Null(await replica.Devices.GetAsync(connection.Id, None));
    }
}
