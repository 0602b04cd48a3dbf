namespace Mediator.Api.State;

/// <summary>Connection states (DID Exchange 1.1 names; Connections 1.0 maps onto them).</summary>
public enum ConnectionState
{
    Start,
    InvitationSent,
    InvitationReceived,
    RequestSent,
    RequestReceived,
    ResponseSent,
    ResponseReceived,
    Completed,
    Abandoned,
}

public enum ConnectionRole
{
    /// <summary>We sent the invitation and answer the request (the mediator's usual role).</summary>
    Responder,
    Requester,
}

public enum HandshakeProtocol
{
    /// <summary>https://didcomm.org/didexchange/1.1</summary>
    DidExchange11,

    /// <summary>https://didcomm.org/connections/1.0</summary>
    Connections10,
}

/// <summary>Which key the mediator uses on a connection.</summary>
public enum OurKeyKind
{
    /// <summary>The mediator's own (public) key; inbound envelopes are matched by the sender's key.</summary>
    MediatorKey,

    /// <summary>A key made for this connection; its seed is stored with the connection and its verkey finds it.</summary>
    ConnectionKey,
}

/// <summary>
/// A DIDComm connection as the mediator stores it. Keys are raw base58 verkeys (did:key input is normalised on save).
/// <see cref="CreatedAt"/> and <see cref="UpdatedAt"/> are set by the database.
/// </summary>
public sealed record ConnectionRecord
{
    public required Guid Id { get; init; }
    public required ConnectionState State { get; init; }
    public ConnectionRole Role { get; init; } = ConnectionRole.Responder;
    public required HandshakeProtocol Protocol { get; init; }
    public string? TheirLabel { get; init; }
    public string? TheirDid { get; init; }

    /// <summary>Their DID document (or Connections 1.0 DID doc) as received, unparsed.</summary>
    public string? TheirDidDoc { get; init; }

    /// <summary>Their keys: an authcrypt envelope's sender key finds the connection by these.</summary>
    public IReadOnlyList<string> TheirRecipientKeys { get; init; } = [];
    public IReadOnlyList<string> TheirRoutingKeys { get; init; } = [];

    /// <summary>Their service endpoint for replies not returned on the inbound transport.</summary>
    public string? TheirEndpoint { get; init; }

    public string? OurDid { get; init; }
    public string? OurVerkey { get; init; }
    public OurKeyKind OurKeyKind { get; init; } = OurKeyKind.MediatorKey;

    /// <summary>The 32-byte Ed25519 seed of a per-connection key (null when the mediator's key is used).</summary>
    public ReadOnlyMemory<byte>? OurKeySeed { get; init; }

    /// <summary>The out-of-band invitation's @id (the handshake's parent thread id).</summary>
    public string? InvitationId { get; init; }

    /// <summary>The handshake's thread id (the request's @id).</summary>
    public string? ThreadId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
