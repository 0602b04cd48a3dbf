using Mediator.Api.State;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Logging;

namespace Mediator.Api.PushNotifications;

/// <summary>Push notification device info protocols (Aries RFC 0734 fcm, RFC 0699 apns).</summary>
public static class PushNotificationMessages
{
    public const string FcmProtocol = "https://didcomm.org/push-notifications-fcm/1.0";
    public const string FcmSetDeviceInfo = FcmProtocol + "/set-device-info";
    public const string FcmGetDeviceInfo = FcmProtocol + "/get-device-info";
    public const string FcmDeviceInfo = FcmProtocol + "/device-info";
    public const string FcmProblemReport = FcmProtocol + "/problem-report";

    public const string ApnsProtocol = "https://didcomm.org/push-notifications-apns/1.0";
    public const string ApnsSetDeviceInfo = ApnsProtocol + "/set-device-info";
    public const string ApnsGetDeviceInfo = ApnsProtocol + "/get-device-info";
    public const string ApnsDeviceInfo = ApnsProtocol + "/device-info";
    public const string ApnsProblemReport = ApnsProtocol + "/problem-report";
}

/// <summary>Problem codes of RFC 0734 / 0699.</summary>
public static class PushNotificationProblemCodes
{
    public const string MissingValue = "missing-value";
    public const string NotRegistered = "not-registered-for-push-notifications";
    public const string InvalidValue = "invalid-value";
    public const string ConnectionNotReady = "connection-not-ready";
}

/// <summary>
/// set-device-info (set, replace, or remove with all values null) and get-device-info → device-info, stored per
/// connection in <see cref="DeviceInfoStore"/> for the notifier. set-device-info has no reply on success (Credo 0.5's
/// push-notifications module has no handler for the RFC's optional ack); every refusal is a problem report.
/// </summary>
public sealed class PushNotificationsService(DeviceInfoStore devices, ILogger<PushNotificationsService> logger)
{
    /// <summary>Handles set-device-info of <paramref name="service"/>; returns null on success, else a problem report.</summary>
    public async Task<MessageBuilder?> HandleSetDeviceInfoAsync(PushService service, ConnectionRecord? connection, DidcommMessage request,
        CancellationToken cancellationToken)
    {
        var problemType = ProblemType(service);
        if (NotReady(connection, request, problemType) is { } notReady) return notReady;
        string? token;
        string? platform = null;
        try
        {
            token = request.GetString("device_token");
            if (service == PushService.Fcm) platform = request.GetString("device_platform");
        }
        catch (MalformedMessageException e)
        {
            return ProblemReport.Create(PushNotificationProblemCodes.InvalidValue, $"{e.Field} {e.Reason}", request, problemType);
        }

        if (token is null && platform is null)
        {
            await devices.RemoveAsync(connection!.Id, cancellationToken).ConfigureAwait(false);
            PushNotificationsLog.Removed(logger, connection.Id);
            return null;
        }
        if (token is null || (service == PushService.Fcm && platform is null))
        {
            return ProblemReport.Create(PushNotificationProblemCodes.MissingValue, service == PushService.Fcm
                ? "device_token and device_platform must both be set (or both null to remove the device)."
                : "device_token must be set (or null to remove the device).", request, problemType);
        }
        try
        {
            await devices.SetAsync(connection!.Id, service, token, platform, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            return ProblemReport.Create(PushNotificationProblemCodes.InvalidValue, e.Message, request, problemType);
        }
        PushNotificationsLog.Set(logger, connection.Id, service);
        return null;
    }

    /// <summary>Handles get-device-info: device-info, or <c>not-registered-for-push-notifications</c> when the connection
    /// has no device of this service.</summary>
    public async Task<MessageBuilder> HandleGetDeviceInfoAsync(PushService service, ConnectionRecord? connection, DidcommMessage request,
        CancellationToken cancellationToken)
    {
        var problemType = ProblemType(service);
        if (NotReady(connection, request, problemType) is { } notReady) return notReady;
        var device = await devices.GetAsync(connection!.Id, cancellationToken).ConfigureAwait(false);
        if (device is null || device.Service != service)
        {
            return ProblemReport.Create(PushNotificationProblemCodes.NotRegistered,
                $"No {(service == PushService.Fcm ? "fcm" : "apns")} device is registered on this connection.", request, problemType);
        }
        var reply = request.CreateReply(service == PushService.Fcm ? PushNotificationMessages.FcmDeviceInfo : PushNotificationMessages.ApnsDeviceInfo)
            .With("device_token", device.DeviceToken);
        if (service == PushService.Fcm) reply.With("device_platform", device.DevicePlatform);
        return reply;
    }

    private static string ProblemType(PushService service) =>
        service == PushService.Fcm ? PushNotificationMessages.FcmProblemReport : PushNotificationMessages.ApnsProblemReport;

    private static MessageBuilder? NotReady(ConnectionRecord? connection, DidcommMessage request, string type) =>
        connection is { State: ConnectionState.Completed or ConnectionState.ResponseSent }
            ? null
            : ProblemReport.Create(PushNotificationProblemCodes.ConnectionNotReady,
                "Push notification settings need a completed connection with the mediator.", request, type);
}

internal static partial class PushNotificationsLog
{
    [LoggerMessage(EventId = 4500, Level = LogLevel.Information, Message = "Push device ({Service}) set for connection {ConnectionId}")]
    public static partial void Set(ILogger logger, Guid connectionId, PushService service);

    [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "Push device removed for connection {ConnectionId}")]
    public static partial void Removed(ILogger logger, Guid connectionId);
}
