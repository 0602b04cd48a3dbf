namespace Mediator.Didcomm.Dids;

/// <summary>
/// A DID or DID document that cannot be used: malformed DID, unsupported method or numalgo, malformed document,
/// hash mismatch, a key reference that does not resolve. The reason says which.
/// </summary>
public sealed class DidException : Exception
{
    public DidException(string message)
        : base(message)
    {
    }

    public DidException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DidException()
        : base("Invalid DID or DID document.")
    {
    }
}
