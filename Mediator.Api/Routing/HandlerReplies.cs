using Mediator.Api.Agent;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.Routing;

/// <summary>Sends what a protocol service answered: a problem report goes the pipeline's problem report way
/// (<see cref="ProblemReportException"/>: on the reply path, or the inbound session as a last resort, or HTTP 400).</summary>
internal static class HandlerReplies
{
    public static async Task SendAsync(MessageContext context, MessageBuilder? reply, CancellationToken cancellationToken)
    {
        if (reply is null) return;
        var json = reply.ToJson();
        if (reply.Type.MessageName is "problem-report" or "problem_report")
        {
            var report = ProblemReport.FromMessage(reply.Build());
            throw new ProblemReportException(report.Code, report.English, reply.Type.Uri);
        }
        await context.ReplyAsync(json, cancellationToken).ConfigureAwait(false);
    }
}
