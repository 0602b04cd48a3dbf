using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.Tests.Transports;

public sealed class HttpTransportTests : IAsyncLifetime
{
    private MediatorTestHost _host = null!;
    private TestWallet _wallet = null!;

    public async Task InitializeAsync()
    {
        _host = await MediatorTestHost.StartOnNewDatabaseAsync("http", new Dictionary<string, string?> { ["Mediator:MaxMessageBytes"] = "16384" });
        _wallet = new TestWallet(_host);
        await _wallet.GetInvitationAsync();
        await _wallet.ConnectWithDidExchangeAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private byte[] Ping() => _wallet.Pack(TestWallet.WithReturnRoute(TestWallet.TrustPing().ToJson(), ReturnRoute.All));

    private static async Task AssertStatusAsync(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Contains(reason, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/didcomm-envelope-enc")]
    [InlineData("application/ssi-agent-wire")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    public async Task Every_didcomm_content_type_is_accepted(string contentType)
    {
        using var response = await _wallet.PostAsync(Ping(), contentType);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/didcomm-envelope-enc", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping_response", _wallet.Unpack(await response.Content.ReadAsByteArrayAsync()).Type);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData(null)]
    public async Task A_wrong_content_type_is_415(string? contentType)
    {
        using var response = await _wallet.PostAsync(Ping(), contentType);
        await AssertStatusAsync(response, HttpStatusCode.UnsupportedMediaType, "is not accepted");
    }

    [Fact]
    public async Task An_oversized_body_is_413()
    {
        var big = Encoding.UTF8.GetBytes("{\"protected\":\"" + new string('a', 20000) + "\"}");
        using var response = await _wallet.PostAsync(big);
        await AssertStatusAsync(response, HttpStatusCode.RequestEntityTooLarge, "16384");
    }

    [Fact]
    public async Task An_oversized_chunked_body_is_413()
    {
        using var content = new StreamContent(new MemoryStream(new byte[40000]));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/didcomm-envelope-enc");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, _host.HttpEndpoint) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await http.SendAsync(request);
        await AssertStatusAsync(response, HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [Fact]
    public async Task A_chunked_body_without_content_length_is_read_whole_and_answered()
    {
        // Without Content-Length the body is assembled in a pooled buffer; a message of some kilobytes must arrive whole.
        var ping = TestWallet.TrustPing().With("comment", new string('c', 9000));
        var envelope = _wallet.Pack(TestWallet.WithReturnRoute(ping.ToJson(), ReturnRoute.All));
        using var content = new StreamContent(new MemoryStream(envelope), bufferSize: 1000);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/didcomm-envelope-enc");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, _host.HttpEndpoint) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ping.Id, _wallet.Unpack(await response.Content.ReadAsByteArrayAsync()).Message.ThreadId);
    }

    public static TheoryData<string, Func<TestWallet, byte[]>, string> BadEnvelopes => new()
    {
        { "empty", _ => [], "empty" },
        { "not JSON", _ => Encoding.UTF8.GetBytes("hello"), "Not a DIDComm v1 envelope" },
        { "JSON array", _ => Encoding.UTF8.GetBytes("[1,2]"), "Not a DIDComm v1 envelope" },
        { "plaintext", _ => Encoding.UTF8.GetBytes(TestWallet.TrustPing().ToString()), "Plaintext DIDComm messages are not accepted" },
        { "missing members", _ => Encoding.UTF8.GetBytes("{\"protected\":\"e30\"}"), "Not a DIDComm v1 envelope" },
        { "for another key", w => EnvelopePacker.Pack(TestWallet.TrustPing().ToUtf8Bytes(), [Ed25519KeyPair.Generate().Verkey], w.Key), "none of this mediator's keys" },
        { "tampered", w => Tamper(w.Pack(TestWallet.TrustPing())), "could not be opened" },
    };

    private static byte[] Tamper(byte[] envelope)
    {
        var json = (JsonObject)JsonNode.Parse(envelope)!;
        var ciphertext = Convert.FromBase64String(Pad(((string)json["ciphertext"]!).Replace('-', '+').Replace('_', '/')));
        ciphertext[0] ^= 1;
        json["ciphertext"] = Convert.ToBase64String(ciphertext).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static string Pad(string s) => s + new string('=', (4 - s.Length % 4) % 4);

    [Theory]
    [MemberData(nameof(BadEnvelopes))]
    public async Task A_bad_envelope_is_400_with_the_reason(string name, Func<TestWallet, byte[]> body, string reason)
    {
        using var response = await _wallet.PostAsync(body(_wallet));
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, reason);
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public async Task An_unknown_message_type_gets_an_unsupported_message_problem_report()
    {
        var message = new MessageBuilder("https://didcomm.org/tictactoe/1.0/move").With("move", "X:B2");
        var reply = await _wallet.SendHttpAsync(message, ReturnRoute.All);
        Assert.Equal("https://didcomm.org/notification/1.0/problem-report", reply!.Type);
        Assert.Equal("unsupported-message", reply.ProblemCode);
        Assert.Equal(message.Id, reply.Message.ThreadId);
        Assert.Contains("tictactoe", ProblemReport.FromMessage(reply.Message).English, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_message_type_without_return_route_still_gets_its_problem_report_on_the_response()
    {
        var reply = await _wallet.SendHttpAsync(new MessageBuilder("https://didcomm.org/tictactoe/1.0/move"), ReturnRoute.None);
        Assert.Equal("unsupported-message", reply!.ProblemCode);
    }

    [Theory]
    [InlineData("not json at all", null)]
    [InlineData("{\"@type\": \"https://didcomm.org/trust_ping/1.0/ping\"}", "@id")]
    [InlineData("{\"@id\": \"m-1\", \"@type\": 12}", "@type")]
    [InlineData("{\"@id\": \"m-2\", \"@type\": \"https://didcomm.org/trust_ping/1.0/ping\", \"~transport\": {\"return_route\": \"sometimes\"}}", "~transport.return_route")]
    [InlineData("{\"@id\": \"m-3\", \"@type\": \"https://didcomm.org/trust_ping/1.0/ping\", \"response_requested\": \"yes\"}", "response_requested")]
    public async Task A_malformed_message_in_a_good_envelope_gets_a_parse_failure_problem_report(string plaintext, string? field)
    {
        var envelope = EnvelopePacker.Pack(plaintext, [_wallet.MediatorVerkey!], _wallet.Key);
        using var response = await _wallet.PostAsync(envelope);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = _wallet.Unpack(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("message-parse-failure", reply.ProblemCode);
        if (field is not null) Assert.Contains(field, ProblemReport.FromMessage(reply.Message).English, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_message_anoncrypted_has_no_reply_path_and_is_400()
    {
        var envelope = EnvelopePacker.Pack("{\"@type\": \"https://didcomm.org/trust_ping/1.0/ping\"}", [_wallet.MediatorVerkey!], sender: null);
        using var response = await _wallet.PostAsync(envelope);
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, "@id");
    }

    [Fact]
    public async Task Get_without_a_websocket_upgrade_is_400()
    {
        using var http = _host.CreateHttpClient();
        using var response = await http.GetAsync("/");
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, "WebSocket");
    }
}
