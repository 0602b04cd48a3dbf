using Microsoft.Extensions.Options;
using System.ComponentModel.DataAnnotations;

namespace Mediator.Api.CoordinateMediation;

/// <summary>Who is granted mediation.</summary>
public enum MediationGrantPolicy
{
    /// <summary>Every mediate-request is granted (the default).</summary>
    GrantAll,

    /// <summary>Every mediate-request is denied.</summary>
    DenyAll,

    /// <summary>Granted when the connection's label is in <see cref="CoordinateMediationOptions.AllowedLabels"/> or its DID
    /// in <see cref="CoordinateMediationOptions.AllowedDids"/>; denied otherwise.</summary>
    AllowList,
}

/// <summary>How routing keys are written in mediate-grant (the wallet then writes its keylist updates the same way).</summary>
public enum RoutingKeyFormat
{
    /// <summary><c>did:key:z6Mk...</c>, as RFC 0211 says and Credo 0.5 does by default.</summary>
    DidKey,

    /// <summary>Raw base58 verkeys (pre-RFC agents).</summary>
    Base58,
}

/// <summary>Coordinate Mediation 1.0 options, bound from <c>Mediator:CoordinateMediation</c>.</summary>
public sealed class CoordinateMediationOptions : IValidatableObject
{
    public const string SectionName = "Mediator:CoordinateMediation";

    /// <summary>The configuration key of the mediator's public HTTP endpoint (shared with the invitation).</summary>
    public const string PublicEndpointKey = "Mediator:PublicEndpoint";

    public MediationGrantPolicy Policy { get; set; } = MediationGrantPolicy.GrantAll;

    /// <summary>Connection labels granted under <see cref="MediationGrantPolicy.AllowList"/> (exact, case-sensitive).</summary>
    public List<string> AllowedLabels { get; set; } = [];

    /// <summary>Connection DIDs (theirs) granted under <see cref="MediationGrantPolicy.AllowList"/>.</summary>
    public List<string> AllowedDids { get; set; } = [];

    /// <summary>
    /// The endpoint written into mediate-grant (the wallet puts it into every DID document and invitation it creates,
    /// so senders post their forwards there). Default: <c>Mediator:PublicEndpoint</c>. Credo reads one URL string.
    /// </summary>
    public string? GrantEndpoint { get; set; }

    public RoutingKeyFormat RoutingKeyFormat { get; set; } = RoutingKeyFormat.DidKey;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Policy)) yield return new ValidationResult($"{SectionName}:Policy is not a known policy.", [nameof(Policy)]);
        if (Policy == MediationGrantPolicy.AllowList && AllowedLabels.Count == 0 && AllowedDids.Count == 0)
        {
            yield return new ValidationResult(
                $"{SectionName}:Policy is AllowList but neither AllowedLabels nor AllowedDids lists anyone.", [nameof(Policy)]);
        }
        if (!string.IsNullOrWhiteSpace(GrantEndpoint)
            && (!Uri.TryCreate(GrantEndpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "ws" or "wss")))
        {
            yield return new ValidationResult(
                $"The mediate-grant endpoint '{GrantEndpoint}' is not an absolute http(s) or ws(s) URL.", [nameof(GrantEndpoint)]);
        }
        if (!Enum.IsDefined(RoutingKeyFormat))
            yield return new ValidationResult($"{SectionName}:RoutingKeyFormat is not a known format.", [nameof(RoutingKeyFormat)]);
    }
}

/// <summary>The data annotations (and <c>IValidatableObject</c> rules) of <see cref="CoordinateMediationOptions"/>, checked by code generated
/// at compile time instead of reflection (the replica is published as native AOT).</summary>
[OptionsValidator]
internal sealed partial class CoordinateMediationOptionsValidator : IValidateOptions<CoordinateMediationOptions>;
