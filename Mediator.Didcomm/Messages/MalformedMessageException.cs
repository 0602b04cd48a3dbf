namespace Mediator.Didcomm.Messages;

/// <summary>
/// A plaintext DIDComm message (or one of its decorators or attachments) is not what the protocol requires: not JSON,
/// not an object, a missing or invalid <c>@type</c> / <c>@id</c>, a field of the wrong type. The mediator answers this
/// with a problem report; it is never another exception type.
/// </summary>
public sealed class MalformedMessageException : Exception
{
    public MalformedMessageException(string reason, string? field = null, Exception? innerException = null)
        : base(field is null ? reason : $"{field}: {reason}", innerException)
    {
        Reason = reason;
        Field = field;
    }

    public MalformedMessageException()
        : this("Malformed DIDComm message.")
    {
    }

    public MalformedMessageException(string message)
        : this(message, null, null)
    {
    }

    public MalformedMessageException(string message, Exception innerException)
        : this(message, null, innerException)
    {
    }

    /// <summary>What is wrong, without the field name.</summary>
    public string Reason { get; }

    /// <summary>The offending field as a path (e.g. <c>~thread.thid</c>), or null for the message as a whole.</summary>
    public string? Field { get; }
}
