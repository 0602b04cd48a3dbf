using Pickup.Core;
using Microsoft.Extensions.Options;
using System.ComponentModel.DataAnnotations;

namespace Mediator.Api.Agent;

/// <summary>
/// <c>Mediator</c> configuration section (the <c>State</c> subsection and <c>KeySeed</c> belong to the state layer).
/// A replica behind a proxy does not know its public address: the AppHost sets <c>Mediator__PublicEndpoint</c> and
/// <c>Mediator__PublicWebSocketEndpoint</c>.
/// </summary>
public sealed class MediatorOptions : IValidatableObject
{
    public const string SectionName = "Mediator";

    /// <summary>The HTTP(S) URL wallets reach this mediator at (invitation, mediate-grant endpoint), e.g. <c>http://localhost:5080</c>.</summary>
    [Required]
    public string PublicEndpoint { get; set; } = "";

    /// <summary>The ws(s) URL of the same; when empty, derived from <see cref="PublicEndpoint"/> (http→ws, https→wss).</summary>
    public string? PublicWebSocketEndpoint { get; set; }

    /// <summary>The label in invitations and handshake messages.</summary>
    [Required, StringLength(200, MinimumLength = 1)]
    public string Label { get; set; } = "PickupAspire Mediator";

    /// <summary>The largest inbound envelope (HTTP body or WebSocket message), bytes.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Timeout of one outbound HTTP POST / WebSocket send to a wallet's endpoint.</summary>
    [TimeSpanRange("00:00:01", "00:10:00")]
    public TimeSpan OutboundTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The invitation's <c>handshake_protocols</c>, in order of preference (Credo takes DID Exchange whenever offered).
    /// Default: DID Exchange 1.1, then Connections 1.0. Requests of either protocol are answered whatever is offered.
    /// </summary>
    public List<string> HandshakeProtocols { get; set; } = [];

    /// <summary>The handshake protocols the mediator implements.</summary>
    public static readonly IReadOnlyList<string> SupportedHandshakeProtocols =
        ["https://didcomm.org/didexchange/1.1", "https://didcomm.org/connections/1.0"];

    /// <summary><see cref="HandshakeProtocols"/>, or the default when none are configured.</summary>
    public IReadOnlyList<string> EffectiveHandshakeProtocols => HandshakeProtocols.Count > 0 ? HandshakeProtocols : SupportedHandshakeProtocols;

    /// <summary>The effective WebSocket URL.</summary>
    public string WebSocketEndpoint => string.IsNullOrWhiteSpace(PublicWebSocketEndpoint)
        ? DeriveWebSocketEndpoint(PublicEndpoint)
        : PublicWebSocketEndpoint;

    /// <summary>The HTTP and WebSocket endpoints, in the order an invitation lists them.</summary>
    public IReadOnlyList<string> Endpoints => [PublicEndpoint, WebSocketEndpoint];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(PublicEndpoint, UriKind.Absolute, out var http) || (http.Scheme != Uri.UriSchemeHttp && http.Scheme != Uri.UriSchemeHttps))
            yield return new ValidationResult($"Mediator:PublicEndpoint must be an absolute http(s) URL, not '{PublicEndpoint}'.", [nameof(PublicEndpoint)]);
        if (!string.IsNullOrWhiteSpace(PublicWebSocketEndpoint)
            && (!Uri.TryCreate(PublicWebSocketEndpoint, UriKind.Absolute, out var ws) || (ws.Scheme != "ws" && ws.Scheme != "wss")))
            yield return new ValidationResult($"Mediator:PublicWebSocketEndpoint must be an absolute ws(s) URL, not '{PublicWebSocketEndpoint}'.", [nameof(PublicWebSocketEndpoint)]);
        foreach (var protocol in HandshakeProtocols.Where(p => !SupportedHandshakeProtocols.Contains(p, StringComparer.Ordinal)))
            yield return new ValidationResult($"Mediator:HandshakeProtocols: '{protocol}' is not one of {string.Join(", ", SupportedHandshakeProtocols)}.", [nameof(HandshakeProtocols)]);
        if (HandshakeProtocols.Distinct(StringComparer.Ordinal).Count() != HandshakeProtocols.Count)
            yield return new ValidationResult("Mediator:HandshakeProtocols lists a protocol twice.", [nameof(HandshakeProtocols)]);
    }

    private static string DeriveWebSocketEndpoint(string httpEndpoint) =>
        httpEndpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss://" + httpEndpoint["https://".Length..]
        : httpEndpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws://" + httpEndpoint["http://".Length..]
        : httpEndpoint;
}

/// <summary>The data annotations (and <c>IValidatableObject</c> rules) of <see cref="MediatorOptions"/>, checked by code generated
/// at compile time instead of reflection (the replica is published as native AOT).</summary>
[OptionsValidator]
internal sealed partial class MediatorOptionsValidator : IValidateOptions<MediatorOptions>;
