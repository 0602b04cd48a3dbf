using Mediator.Api.PushNotifications;
using Mediator.Api.State;
using Mediator.Api.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Mediator.Api.Tests.PushNotifications;

public class PushNotificationsTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Fcm_device_info_is_set_read_replaced_and_removed()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateConnectionAsync();

        Msg.AssertProblem(await replica.Push.HandleGetDeviceInfoAsync(PushService.Fcm, connection, Msg.Build(PushNotificationMessages.FcmGetDeviceInfo), None),
            PushNotificationProblemCodes.NotRegistered);

        Assert.Null(await replica.Push.HandleSetDeviceInfoAsync(PushService.Fcm, connection,
            Msg.Build(PushNotificationMessages.FcmSetDeviceInfo, ("device_token", "token-1"), ("device_platform", "android")), None));
        var get = Msg.Build(PushNotificationMessages.FcmGetDeviceInfo);
        var info = (await replica.Push.HandleGetDeviceInfoAsync(PushService.Fcm, connection, get, None)).ToJson();
        Assert.Equal(PushNotificationMessages.FcmDeviceInfo, info["@type"]!.GetValue<string>());
        Assert.Equal(get.Id, info["~thread"]!["thid"]!.GetValue<string>());
        Assert.Equal("token-1", info["device_token"]!.GetValue<string>());
        Assert.Equal("android", info["device_platform"]!.GetValue<string>());

        await replica.Push.HandleSetDeviceInfoAsync(PushService.Fcm, connection,
            Msg.Build(PushNotificationMessages.FcmSetDeviceInfo, ("device_token", "token-2"), ("device_platform", "ios")), None);
        var stored = await replica.Services.GetRequiredService<DeviceInfoStore>().GetAsync(connection.Id, None);
        Assert.Equal(("token-2", "ios", PushService.Fcm), (stored!.DeviceToken, stored.DevicePlatform, stored.Service));

        Assert.Null(await replica.Push.HandleSetDeviceInfoAsync(PushService.Fcm, connection,
            Msg.Build(PushNotificationMessages.FcmSetDeviceInfo, ("device_token", null), ("device_platform", null)), None));
        Assert.Null(await replica.Services.GetRequiredService<DeviceInfoStore>().GetAsync(connection.Id, None));
    }

    [Fact]
    public async Task Apns_device_info_is_kept_apart_from_fcm()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateConnectionAsync();
        Assert.Null(await replica.Push.HandleSetDeviceInfoAsync(PushService.Apns, connection,
            Msg.Build(PushNotificationMessages.ApnsSetDeviceInfo, ("device_token", "apns-token")), None));
        var info = (await replica.Push.HandleGetDeviceInfoAsync(PushService.Apns, connection, Msg.Build(PushNotificationMessages.ApnsGetDeviceInfo), None)).ToJson();
        Assert.Equal(PushNotificationMessages.ApnsDeviceInfo, info["@type"]!.GetValue<string>());
        Assert.Equal("apns-token", info["device_token"]!.GetValue<string>());
        Assert.Null(info["device_platform"]);
        Msg.AssertProblem(await replica.Push.HandleGetDeviceInfoAsync(PushService.Fcm, connection, Msg.Build(PushNotificationMessages.FcmGetDeviceInfo), None),
            PushNotificationProblemCodes.NotRegistered);
    }

    [Fact]
    public async Task Bad_device_info_gets_specific_problem_reports_and_stores_nothing()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateConnectionAsync();
        Msg.AssertProblem(await replica.Push.HandleSetDeviceInfoAsync(PushService.Fcm, connection,
            Msg.Build(PushNotificationMessages.FcmSetDeviceInfo, ("device_token", "t")), None), PushNotificationProblemCodes.MissingValue);
        Msg.AssertProblem(await replica.Push.HandleSetDeviceInfoAsync(PushService.Fcm, connection,
            Msg.Build(PushNotificationMessages.FcmSetDeviceInfo, ("device_platform", "android")), None), PushNotificationProblemCodes.MissingValue);
        Msg.AssertProblem(await replica.Push.HandleSetDeviceInfoAsync(PushService.Fcm, connection,
            Msg.Build(PushNotificationMessages.FcmSetDeviceInfo, ("device_token", 42), ("device_platform", "android")), None), PushNotificationProblemCodes.InvalidValue);
        Msg.AssertProblem(await replica.Push.HandleSetDeviceInfoAsync(PushService.Apns, connection,
            Msg.Build(PushNotificationMessages.ApnsSetDeviceInfo, ("device_token", new string('t', DeviceInfoStore.MaxTokenLength + 1))), None),
            PushNotificationProblemCodes.InvalidValue);
        Msg.AssertProblem(await replica.Push.HandleSetDeviceInfoAsync(PushService.Apns, connection,
            Msg.Build(PushNotificationMessages.ApnsSetDeviceInfo, ("device_token", "   ")), None), PushNotificationProblemCodes.InvalidValue);
        Msg.AssertProblem(await replica.Push.HandleSetDeviceInfoAsync(PushService.Apns, null,
            Msg.Build(PushNotificationMessages.ApnsSetDeviceInfo, ("device_token", "t")), None), PushNotificationProblemCodes.ConnectionNotReady);
        Assert.Null(await replica.Services.GetRequiredService<DeviceInfoStore>().GetAsync(connection.Id, None));
    }
}
