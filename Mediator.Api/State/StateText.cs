namespace Mediator.Api.State;

/// <summary>The text forms of the state enums in the database (stable: renaming a C# member does not change them).</summary>
internal static class StateText
{
    public static string Of(ConnectionState value) => value switch
    {
        ConnectionState.Start => "start",
        ConnectionState.InvitationSent => "invitation-sent",
        ConnectionState.InvitationReceived => "invitation-received",
        ConnectionState.RequestSent => "request-sent",
        ConnectionState.RequestReceived => "request-received",
        ConnectionState.ResponseSent => "response-sent",
        ConnectionState.ResponseReceived => "response-received",
        ConnectionState.Completed => "completed",
        ConnectionState.Abandoned => "abandoned",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown connection state."),
    };

    public static ConnectionState ConnectionStateOf(string text) => text switch
    {
        "start" => ConnectionState.Start,
        "invitation-sent" => ConnectionState.InvitationSent,
        "invitation-received" => ConnectionState.InvitationReceived,
        "request-sent" => ConnectionState.RequestSent,
        "request-received" => ConnectionState.RequestReceived,
        "response-sent" => ConnectionState.ResponseSent,
        "response-received" => ConnectionState.ResponseReceived,
        "completed" => ConnectionState.Completed,
        "abandoned" => ConnectionState.Abandoned,
        _ => throw new InvalidDataException($"Unknown connection state '{text}' in mediator.connections."),
    };

    public static string Of(ConnectionRole value) => value switch
    {
        ConnectionRole.Responder => "responder",
        ConnectionRole.Requester => "requester",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown connection role."),
    };

    public static ConnectionRole ConnectionRoleOf(string text) => text switch
    {
        "responder" => ConnectionRole.Responder,
        "requester" => ConnectionRole.Requester,
        _ => throw new InvalidDataException($"Unknown connection role '{text}' in mediator.connections."),
    };

    public static string Of(HandshakeProtocol value) => value switch
    {
        HandshakeProtocol.DidExchange11 => "didexchange/1.1",
        HandshakeProtocol.Connections10 => "connections/1.0",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown handshake protocol."),
    };

    public static HandshakeProtocol HandshakeProtocolOf(string text) => text switch
    {
        "didexchange/1.1" => HandshakeProtocol.DidExchange11,
        "connections/1.0" => HandshakeProtocol.Connections10,
        _ => throw new InvalidDataException($"Unknown handshake protocol '{text}' in mediator.connections."),
    };

    public static string Of(OurKeyKind value) => value switch
    {
        OurKeyKind.MediatorKey => "mediator",
        OurKeyKind.ConnectionKey => "connection",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown key kind."),
    };

    public static OurKeyKind OurKeyKindOf(string text) => text switch
    {
        "mediator" => OurKeyKind.MediatorKey,
        "connection" => OurKeyKind.ConnectionKey,
        _ => throw new InvalidDataException($"Unknown key kind '{text}' in mediator.connections."),
    };

    public static string Of(MediationState value) => value switch
    {
        MediationState.Requested => "requested",
        MediationState.Granted => "granted",
        MediationState.Denied => "denied",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown mediation state."),
    };

    public static MediationState MediationStateOf(string text) => text switch
    {
        "requested" => MediationState.Requested,
        "granted" => MediationState.Granted,
        "denied" => MediationState.Denied,
        _ => throw new InvalidDataException($"Unknown mediation state '{text}' in mediator.mediations."),
    };

    public static string Of(PushService value) => value switch
    {
        PushService.Fcm => "fcm",
        PushService.Apns => "apns",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown push service."),
    };

    public static PushService PushServiceOf(string text) => text switch
    {
        "fcm" => PushService.Fcm,
        "apns" => PushService.Apns,
        _ => throw new InvalidDataException($"Unknown push service '{text}' in mediator.device_info."),
    };
}
