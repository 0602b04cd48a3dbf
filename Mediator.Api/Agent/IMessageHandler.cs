namespace Mediator.Api.Agent;

/// <summary>
/// Handles one or more DIDComm message types. Register with
/// <see cref="Microsoft.Extensions.DependencyInjection.MessageHandlerServiceCollectionExtensions.AddMessageHandler{THandler}"/>;
/// handlers are singletons and may be called concurrently.
/// </summary>
/// <remarks>
/// Throw <see cref="ProblemReportException"/> to answer with a problem report (the pipeline sends it on the reply path);
/// a <see cref="Mediator.Didcomm.Messages.MalformedMessageException"/> from a field read becomes a
/// <c>message-parse-failure</c> problem report naming the field; any other exception is logged and answered with a
/// generic <c>request_processing_error</c> problem report.
/// </remarks>
public interface IMessageHandler
{
    Task HandleAsync(MessageContext context, CancellationToken cancellationToken);
}

/// <summary>Thrown by a handler to reject a message with a problem report (code, English text, optional protocol-specific type).</summary>
public sealed class ProblemReportException : Exception
{
    public ProblemReportException(string code, string english, string? problemReportType = null)
        : base(english)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        ProblemReportType = problemReportType;
    }

    public ProblemReportException(string code, string english, string? problemReportType, Exception innerException)
        : base(english, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        ProblemReportType = problemReportType;
    }

    /// <summary>RFC 0035 <c>description.code</c>.</summary>
    public string Code { get; }

    /// <summary>The problem report's <c>@type</c> (e.g. <c>https://didcomm.org/didexchange/1.1/problem_report</c>); null = the generic notification type.</summary>
    public string? ProblemReportType { get; }
}
