using System.Net;
using Mediator.Api.MessagePickup;
using Mediator.Api.PushNotifications;
using Mediator.Api.Tests.Routing;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.Tests.PushNotifications;

/// <summary>Device info and pickup 1.0 through the real mediator (HTTP with return_route, real envelopes).</summary>
public class PushNotificationsEndToEndTests
{
    [Fact]
    public async Task A_wallet_sets_and_reads_its_fcm_device_and_a_bad_one_gets_a_problem_report()
    {
        await using var host = await RoutingTestApp.StartOnNewDatabaseAsync();
        var wallet = await MediatedWallet.CreateAsync(host);

        // set-device-info has no reply on success: the HTTP answer is 202 with no body.
        Assert.Null(await wallet.Wallet.SendHttpAsync(new MessageBuilder(PushNotificationMessages.FcmSetDeviceInfo)
            .With("device_token", "fcm-token").With("device_platform", "android")));
        var info = await wallet.Wallet.RequestHttpAsync(new MessageBuilder(PushNotificationMessages.FcmGetDeviceInfo));
        Assert.Equal(PushNotificationMessages.FcmDeviceInfo, info.Type);
        Assert.Equal("fcm-token", info.Message.GetString("device_token"));
        Assert.Equal("android", info.Message.GetString("device_platform"));

        var refused = await wallet.Wallet.RequestHttpAsync(new MessageBuilder(PushNotificationMessages.FcmSetDeviceInfo).With("device_token", "only-token"));
        Assert.Equal(PushNotificationProblemCodes.MissingValue, refused.ProblemCode);
        var apns = await wallet.Wallet.RequestHttpAsync(new MessageBuilder(PushNotificationMessages.ApnsGetDeviceInfo));
        Assert.Equal(PushNotificationProblemCodes.NotRegistered, apns.ProblemCode);
    }

    [Fact]
    public async Task Pickup_v1_batch_over_http_returns_the_forwarded_envelopes_and_deletes_them()
    {
        await using var host = await RoutingTestApp.StartOnNewDatabaseAsync();
        var wallet = await MediatedWallet.CreateAsync(host);
        var envelopes = Enumerable.Range(0, 3).Select(i => wallet.NewInnerEnvelope($"batch {i}")).ToList();
        foreach (var envelope in envelopes)
            Assert.Equal(HttpStatusCode.Accepted, await MediatedWallet.PostForwardAsync(host, wallet.ForwardEnvelope(envelope)));

        var batch = await wallet.Wallet.RequestHttpAsync(new MessageBuilder(MessagePickupMessages.BatchPickup).With("batch_size", 10));
        Assert.Equal(MessagePickupMessages.Batch, batch.Type);
        var messages = batch.Message.GetArray("messages~attach")!;
        Assert.Equal(3, messages.Count);
        for (var i = 0; i < 3; i++)
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(envelopes[i]), messages[i]!["message"]));

        var again = await wallet.Wallet.RequestHttpAsync(new MessageBuilder(MessagePickupMessages.BatchPickup).With("batch_size", 10));
        Assert.Empty(again.Message.GetArray("messages~attach")!);
    }
}
