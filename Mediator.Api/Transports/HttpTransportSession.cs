using Microsoft.Extensions.Logging;

namespace Mediator.Api.Transports;

/// <summary>One HTTP POST. The first message sent on it becomes the response body; the session closes when the request ends.</summary>
public sealed class HttpTransportSession : TransportSessionBase
{
    private ReadOnlyMemory<byte>? _response;
    private int _responseTaken;

    public HttpTransportSession(TimeProvider time, ILogger logger)
        : base(TransportKind.Http, time, logger)
    {
    }

    public override bool CanSend => IsOpen && Volatile.Read(ref _responseTaken) == 0;

    /// <summary>The envelope to write as the response body, if a message was sent on this session.</summary>
    public ReadOnlyMemory<byte>? Response => _response;

    public override ValueTask<bool> TrySendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
    {
        if (!IsOpen || Interlocked.CompareExchange(ref _responseTaken, 1, 0) != 0) return ValueTask.FromResult(false);
        _response = envelope;
        Touch();
        return ValueTask.FromResult(true);
    }
}
