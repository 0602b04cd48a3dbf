namespace Mediator.Didcomm.Keys;

/// <summary>A key, verkey or did:key that is malformed: wrong encoding, wrong length, unknown codec, not a curve point.</summary>
public sealed class KeyFormatException : FormatException
{
    public KeyFormatException(string message)
        : base(message)
    {
    }

    public KeyFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
