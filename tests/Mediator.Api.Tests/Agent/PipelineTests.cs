using Mediator.Api.Agent;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Mediator.Api.Tests.Agent;

public sealed class PipelineTests
{
    private sealed class TestProtocolHandler : IMessageHandler
    {
        public async Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
        {
            switch (context.RegisteredType.MessageName)
            {
                case "reject":
                    throw new ProblemReportException("not-today", "Rejected on purpose.", "https://didcomm.org/test-protocol/1.0/problem-report");
                case "crash":
                    throw new InvalidOperationException("secret internal detail");
                case "field":
                    _ = context.Message.GetInteger("count");
                    break;
                case "echo":
                    var reply = context.Message.CreateReply(context.RegisteredType.WithMessageName("echoed"))
                        .With("connection", context.Connection?.Id.ToString())
                        .With("sender", context.SenderVerkey)
                        .With("for_mediator_key", context.IsForMediatorKey)
                        .With("version", context.RegisteredType.ProtocolVersion);
                    await context.ReplyAsync(reply, cancellationToken);
                    break;
            }
        }
    }

    private static async Task<(MediatorTestHost Host, TestWallet Wallet)> StartAsync()
    {
        var host = await MediatorTestHost.StartOnNewDatabaseAsync("pipeline", services: s =>
        {
            s.AddMessageHandler<TestProtocolHandler>("https://didcomm.org/test-protocol/1.2/reject", "https://didcomm.org/test-protocol/1.2/crash",
                "https://didcomm.org/test-protocol/1.2/field", "https://didcomm.org/test-protocol/1.2/echo");
            s.AddDidcommProtocol("https://didcomm.org/test-protocol/1.2", "tester");
        });
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        return (host, wallet);
    }

    [Fact]
    public async Task A_registered_handler_gets_the_context_and_other_minor_versions_and_the_legacy_prefix()
    {
        var (host, wallet) = await StartAsync();
        await using var _ = host;
        var connection = await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None);

        foreach (var type in new[] { "https://didcomm.org/test-protocol/1.2/echo", "https://didcomm.org/test-protocol/1.0/echo",
                     "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/test-protocol/1.5/echo" })
        {
            var reply = await wallet.RequestHttpAsync(new MessageBuilder(type));
            Assert.Equal("https://didcomm.org/test-protocol/1.2/echoed", reply.Type);
            Assert.Equal(connection!.Id.ToString(), reply.Message.GetString("connection"));
            Assert.Equal(wallet.Key.Verkey, reply.Message.GetString("sender"));
            Assert.False(reply.Message.GetBoolean("for_mediator_key"));
        }

        var disclose = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/discover-features/1.0/query").With("query", "*test-protocol*"));
        var protocol = Assert.Single(disclose.Message.GetArray("protocols")!);
        Assert.Equal("https://didcomm.org/test-protocol/1.2", (string?)protocol!["pid"]);
        Assert.Equal("tester", (string?)protocol["roles"]![0]);
    }

    [Fact]
    public async Task Handler_failures_become_problem_reports_without_internal_details()
    {
        var (host, wallet) = await StartAsync();
        await using var _ = host;

        var rejected = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/test-protocol/1.2/reject"));
        Assert.Equal("https://didcomm.org/test-protocol/1.0/problem-report", rejected.Type);
        Assert.Equal("not-today", rejected.ProblemCode);

        var crashed = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/test-protocol/1.2/crash"));
        Assert.Equal("request_processing_error", crashed.ProblemCode);
        Assert.DoesNotContain("secret", crashed.Message.ToString(), StringComparison.Ordinal);

        var badField = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/test-protocol/1.2/field").With("count", "many"));
        Assert.Equal("message-parse-failure", badField.ProblemCode);
        Assert.Contains("count", ProblemReport.FromMessage(badField.Message).English, StringComparison.Ordinal);

        // The replica is still fine.
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping_response", (await wallet.RequestHttpAsync(TestWallet.TrustPing())).Type);
    }

    [Fact]
    public void Registering_a_malformed_type_fails_at_registration()
    {
        var services = new ServiceCollection();
        Assert.ThrowsAny<Exception>(() => services.AddMessageHandler<TestProtocolHandler>("not a type"));
        Assert.Throws<ArgumentException>(() => services.AddDidcommProtocol("https://didcomm.org/no-version"));
    }
}

public sealed class ProblemReportLoopTests
{
    [Theory]
    [InlineData("https://didcomm.org/notification/1.0/problem-report")]
    [InlineData("https://didcomm.org/some-protocol/1.0/problem_report")]
    public async Task A_problem_report_of_an_unhandled_type_is_logged_and_never_answered(string type)
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("pipeline");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();

        var report = ProblemReport.CreateForThread("unsupported-message", "I do not know that", "some-thread", type);
        Assert.Null(await wallet.SendHttpAsync(report, ReturnRoute.All));

        // A malformed one of a handled protocol gets no problem report either (no report about a report): the HTTP
        // answer says why instead.
        var malformed = new MessageBuilder("https://didcomm.org/didexchange/1.1/problem_report").WithThread("t-1");
        using var response = await wallet.PostAsync(wallet.Pack(TestWallet.WithReturnRoute(malformed.ToJson(), ReturnRoute.All)));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("description: is required", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
