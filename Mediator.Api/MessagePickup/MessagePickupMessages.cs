namespace Mediator.Api.MessagePickup;

/// <summary>Message Pickup 1.0 (Aries RFC 0212) and 2.0 (RFC 0685) message types.</summary>
public static class MessagePickupMessages
{
    public const string ProtocolV1 = "https://didcomm.org/messagepickup/1.0";
    public const string BatchPickup = ProtocolV1 + "/batch-pickup";
    public const string Batch = ProtocolV1 + "/batch";

    public const string ProtocolV2 = "https://didcomm.org/messagepickup/2.0";
    public const string StatusRequest = ProtocolV2 + "/status-request";
    public const string Status = ProtocolV2 + "/status";
    public const string DeliveryRequest = ProtocolV2 + "/delivery-request";
    public const string Delivery = ProtocolV2 + "/delivery";
    public const string MessagesReceived = ProtocolV2 + "/messages-received";
    public const string LiveDeliveryChange = ProtocolV2 + "/live-delivery-change";
    public const string ProblemReportV2 = ProtocolV2 + "/problem-report";
    public const string ProblemReportV1 = ProtocolV1 + "/problem-report";
}

/// <summary>Problem codes of pickup problem reports.</summary>
public static class MessagePickupProblemCodes
{
    /// <summary>RFC 0685: live-delivery-change on a transport that cannot carry live delivery.</summary>
    public const string LiveModeNotSupported = "e.msg.live-mode-not-supported";

    public const string InvalidMessage = "message-parse-failure";
    public const string ConnectionNotReady = "connection-not-ready";
    public const string MediationNotGranted = "mediation-not-granted";
}
