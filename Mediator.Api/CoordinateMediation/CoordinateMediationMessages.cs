namespace Mediator.Api.CoordinateMediation;

/// <summary>Coordinate Mediation 1.0 message types (Aries RFC 0211).</summary>
public static class CoordinateMediationMessages
{
    public const string Protocol = "https://didcomm.org/coordinate-mediation/1.0";
    public const string MediateRequest = Protocol + "/mediate-request";
    public const string MediateGrant = Protocol + "/mediate-grant";
    public const string MediateDeny = Protocol + "/mediate-deny";
    public const string KeylistUpdate = Protocol + "/keylist-update";
    public const string KeylistUpdateResponse = Protocol + "/keylist-update-response";
    public const string KeylistQuery = Protocol + "/keylist-query";
    public const string Keylist = Protocol + "/keylist";
    public const string ProblemReport = Protocol + "/problem-report";
}

/// <summary>Problem codes of this protocol's problem reports.</summary>
public static class CoordinateMediationProblemCodes
{
    /// <summary>keylist-update / keylist-query from a connection whose mediation is not granted.</summary>
    public const string MediationNotGranted = "mediation-not-granted";

    /// <summary>The message needs a completed connection.</summary>
    public const string ConnectionNotReady = "connection-not-ready";

    /// <summary>A malformed message (a field has the wrong type, too many updates, ...).</summary>
    public const string InvalidMessage = "message-parse-failure";
}
