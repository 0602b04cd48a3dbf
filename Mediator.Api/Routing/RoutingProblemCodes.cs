namespace Mediator.Api.Routing;

/// <summary>Problem report codes for refused forwards (RFC 0035 descriptors).</summary>
public static class RoutingProblemCodes
{
    public const string MalformedForward = "message-parse-failure";
    public const string UnknownRecipient = "forward-unknown-recipient";
    public const string MessageTooLarge = "forward-message-too-large";
    public const string QueueFull = "forward-queue-full";

    public static string For(ForwardOutcome outcome) => outcome switch
    {
        ForwardOutcome.Malformed => MalformedForward,
        ForwardOutcome.UnknownRecipient => UnknownRecipient,
        ForwardOutcome.TooLarge => MessageTooLarge,
        ForwardOutcome.QueueFull => QueueFull,
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Not a refusal."),
    };
}
