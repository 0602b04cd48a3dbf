namespace Mediator.Didcomm.Signatures;

/// <summary>
/// A signed attachment or signature decorator that cannot be trusted: missing or malformed parts, an unsupported
/// algorithm or key, or a signature that does not verify. The reason says which.
/// </summary>
public sealed class SignatureException : Exception
{
    public SignatureException(string message)
        : base(message)
    {
    }

    public SignatureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SignatureException()
        : base("Invalid signature.")
    {
    }
}
