using System.Text;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Tests.Messages;

public class DidcommMessageTests
{
    // A keylist-update as Credo 0.5's MediationRecipientService sends it.
    private const string KeylistUpdate = """
        {"@type":"https://didcomm.org/coordinate-mediation/1.0/keylist-update","@id":"7a2e5e3d-5a4b-4fd4-9d8c-3b6c39a1b1a2",
         "updates":[{"recipient_key":"did:key:z6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V","action":"add"}],
         "~transport":{"return_route":"all"}}
        """;

    [Fact]
    public void Parse_reads_type_id_and_return_route()
    {
        var m = DidcommMessage.Parse(KeylistUpdate);
        Assert.Equal("keylist-update", m.Type.MessageName);
        Assert.Equal("coordinate-mediation", m.Type.ProtocolName);
        Assert.Equal("7a2e5e3d-5a4b-4fd4-9d8c-3b6c39a1b1a2", m.Id);
        Assert.Null(m.Thread);
        Assert.Equal(m.Id, m.ThreadId);
        Assert.Equal(ReturnRoute.All, m.ReturnRoute);
        Assert.True(m.WantsReturnRoute());
        Assert.IsType<JsonArray>(m.GetArray("updates"));
    }

    [Fact]
    public void Parse_reads_thread_and_parent_thread()
    {
        var m = DidcommMessage.Parse("""
            {"@type":"https://didcomm.org/didexchange/1.1/request","@id":"a1b2c3d4-0000-4000-8000-000000000001",
             "~thread":{"thid":"a1b2c3d4-0000-4000-8000-000000000001","pthid":"did:peer:2.Ez6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc","sender_order":0,"received_orders":{"did:sov:abc":1}},
             "label":"Alice","did":"did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c"}
            """);
        Assert.Equal("a1b2c3d4-0000-4000-8000-000000000001", m.ThreadId);
        Assert.Equal("did:peer:2.Ez6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc", m.ParentThreadId);
        Assert.Equal(0, m.Thread!.SenderOrder);
        Assert.Equal(1, m.Thread.ReceivedOrders!["did:sov:abc"]);
        Assert.Equal("Alice", m.GetRequiredString("label"));
        Assert.Equal(ReturnRoute.None, m.ReturnRoute);
        Assert.False(m.WantsReturnRoute());
    }

    [Fact]
    public void Return_route_thread_applies_only_to_the_named_thread()
    {
        var m = DidcommMessage.Parse("""
            {"@type":"https://didcomm.org/messagepickup/2.0/status-request","@id":"12345678-aaaa",
             "~transport":{"return_route":"thread","return_route_thread":"thread-1234"}}
            """);
        Assert.Equal(ReturnRoute.Thread, m.ReturnRoute);
        Assert.True(m.WantsReturnRoute("thread-1234"));
        Assert.False(m.WantsReturnRoute("other-thread"));
    }

    [Fact]
    public void Legacy_type_prefix_is_accepted()
    {
        var m = DidcommMessage.Parse("""{"@type":"did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping","@id":"ping-00001","response_requested":true}""");
        Assert.True(m.Type.IsLegacyPrefix);
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping", m.Type.Normalized().Uri);
        Assert.True(m.GetBoolean("response_requested"));
    }

    [Theory]
    [InlineData("not json at all", null, "not valid JSON")]
    [InlineData("{\"@type\":", null, "not valid JSON")]
    [InlineData("[1,2,3]", null, "must be a JSON object, found an array")]
    [InlineData("\"a string\"", null, "must be a JSON object, found a string")]
    [InlineData("null", null, "must be a JSON object, found null")]
    [InlineData("{\"@id\":\"12345678\"}", "@type", "is required")]
    [InlineData("{\"@type\":42,\"@id\":\"12345678\"}", "@type", "must be a string, found a number")]
    [InlineData("{\"@type\":\"ping\",\"@id\":\"12345678\"}", "@type", "is not a message type URI")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\"}", "@id", "is required")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"\"}", "@id", "must not be empty")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":{\"x\":1}}", "@id", "must be a string, found an object")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"has space\"}", "@id", "whitespace")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"12345678\",\"~thread\":\"t\"}", "~thread", "must be an object")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"12345678\",\"~thread\":{\"thid\":5}}", "~thread.thid", "must be a string")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"12345678\",\"~thread\":{\"thid\":\"\"}}", "~thread.thid", "must not be empty")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"12345678\",\"~thread\":{\"sender_order\":\"x\"}}", "~thread.sender_order", "must be an integer")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"12345678\",\"~transport\":{\"return_route\":\"sometimes\"}}", "~transport.return_route", "must be one of")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"12345678\",\"~transport\":{\"return_route\":true}}", "~transport.return_route", "must be a string")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"12345678\",\"~transport\":{\"return_route\":\"thread\"}}", "~transport.return_route_thread", "is required")]
    [InlineData("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"a\",\"@id\":\"b\"}", null, "not valid JSON")]
    public void Parse_rejects_malformed_input_with_a_reason(string json, string? field, string reasonPart)
    {
        var e = Assert.Throws<MalformedMessageException>(() => DidcommMessage.Parse(json));
        Assert.Equal(field, e.Field);
        Assert.Contains(reasonPart, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_rejects_invalid_utf8_and_deep_nesting()
    {
        Assert.Throws<MalformedMessageException>(() => DidcommMessage.Parse([0xff, 0xfe, 0x7b, 0x7d]));
        var deep = new StringBuilder("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"12345678\",\"x\":");
        deep.Append(new string('[', 200)).Append(new string(']', 200)).Append('}');
        Assert.Throws<MalformedMessageException>(() => DidcommMessage.Parse(deep.ToString()));
    }

    [Fact]
    public void Integers_set_in_code_read_back_without_a_round_trip_through_bytes()
    {
        var m = new MessageBuilder("https://didcomm.org/messagepickup/2.0/status")
            .With("int", 5)
            .With("long", 6_000_000_000L)
            .With("short", (short)7)
            .With("uint", 8u)
            .With("whole_double", 9.0)
            .With("fraction", 1.5)
            .With("huge", ulong.MaxValue)
            .Build();
        Assert.Equal(5, m.GetInteger("int"));
        Assert.Equal(6_000_000_000L, m.GetInteger("long"));
        Assert.Equal(7, m.GetInteger("short"));
        Assert.Equal(8, m.GetInteger("uint"));
        Assert.Equal(9, m.GetInteger("whole_double"));
        Assert.Equal("fraction", Assert.Throws<MalformedMessageException>(() => m.GetInteger("fraction")).Field);
        Assert.Equal("huge", Assert.Throws<MalformedMessageException>(() => m.GetInteger("huge")).Field);
    }

    [Fact]
    public void Typed_field_reads_fail_with_the_field_name()
    {
        var m = DidcommMessage.Parse("""{"@type":"https://didcomm.org/trust_ping/1.0/ping","@id":"12345678","label":7,"keys":["a",1],"n":"x","b":"yes"}""");
        Assert.Equal("label", Assert.Throws<MalformedMessageException>(() => m.GetString("label")).Field);
        Assert.Equal("keys[1]", Assert.Throws<MalformedMessageException>(() => m.GetStringArray("keys")).Field);
        Assert.Equal("n", Assert.Throws<MalformedMessageException>(() => m.GetInteger("n")).Field);
        Assert.Equal("b", Assert.Throws<MalformedMessageException>(() => m.GetBoolean("b")).Field);
        Assert.Equal("missing", Assert.Throws<MalformedMessageException>(() => m.GetRequiredString("missing")).Field);
        Assert.Null(m.GetString("missing"));
    }

    [Fact]
    public void Reply_gets_new_id_and_the_request_thread()
    {
        var request = DidcommMessage.Parse("""{"@type":"https://didcomm.org/trust_ping/1.0/ping","@id":"ping-request-1"}""");
        var reply = request.CreateReply("https://didcomm.org/trust_ping/1.0/ping_response").Build();
        Assert.NotEqual(request.Id, reply.Id);
        Assert.True(Guid.TryParse(reply.Id, out _));
        Assert.Equal("ping-request-1", reply.Thread!.ThreadId);

        var threaded = DidcommMessage.Parse("""{"@type":"https://didcomm.org/messagepickup/2.0/delivery-request","@id":"dr-000001","~thread":{"thid":"pickup-thread-1"}}""");
        Assert.Equal("pickup-thread-1", threaded.CreateReply("https://didcomm.org/messagepickup/2.0/status").Build().ThreadId);
    }

    [Fact]
    public void Builder_writes_type_and_id_first_then_fields_and_round_trips()
    {
        var b = new MessageBuilder("https://didcomm.org/coordinate-mediation/1.0/mediate-grant", "grant-0001")
            .WithThread("req-0001")
            .With("endpoint", "https://mediator.example/")
            .With("routing_keys", new JsonArray("did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"))
            .WithReturnRoute(ReturnRoute.All);
        Assert.StartsWith("{\"@type\":\"https://didcomm.org/coordinate-mediation/1.0/mediate-grant\",\"@id\":\"grant-0001\",\"~thread\":{\"thid\":\"req-0001\"},\"endpoint\":\"https://mediator.example/\"", b.ToString(), StringComparison.Ordinal);
        var m = DidcommMessage.Parse(b.ToUtf8Bytes());
        Assert.Equal("grant-0001", m.Id);
        Assert.Equal("req-0001", m.ThreadId);
        Assert.Equal(ReturnRoute.All, m.ReturnRoute);
        Assert.Equal("https://mediator.example/", m.GetString("endpoint"));
        Assert.Throws<ArgumentException>(() => b.With("@id", "x"));
        Assert.Throws<MalformedMessageException>(() => new MessageBuilder("not-a-type"));
    }

    [Fact]
    public void Attachments_json_base64_and_jws_are_read()
    {
        var m = DidcommMessage.Parse("""
            {"@type":"https://didcomm.org/didexchange/1.1/request","@id":"req-00000001",
             "did_doc~attach":{"@id":"d1","mime-type":"application/json","data":{"base64":"eyJhIjoxfQ==","jws":{"header":{"kid":"did:key:z6Mk"},"protected":"e30","signature":"c2ln"}}},
             "~attach":[{"@id":"j1","data":{"json":{"hello":"world"}}},{"@id":"b1","byte_count":3,"lastmod_time":"2024-01-01T00:00:00Z","data":{"base64":"YWJj","sha256":"00"}},{"@id":"l1","data":{"links":["https://x"]}}]}
            """);
        var didDoc = m.GetAttachment("did_doc~attach")!;
        Assert.Equal("d1", didDoc.Id);
        Assert.Equal("application/json", didDoc.MimeType);
        Assert.Equal(1, didDoc.GetJson()["a"]!.GetValue<int>());
        Assert.Equal("e30", didDoc.Data.Jws!["protected"]!.GetValue<string>());

        var all = m.GetAttachments();
        Assert.Equal(3, all.Count);
        Assert.Equal("world", all[0].GetJson()["hello"]!.GetValue<string>());
        Assert.Equal("abc", Encoding.UTF8.GetString(all[1].GetBytes()));
        Assert.Equal(3, all[1].ByteCount);
        Assert.Equal("https://x", Assert.Single(all[2].Data.Links!));
        Assert.Throws<MalformedMessageException>(() => all[2].GetBytes());

        // Round trip keeps the fields.
        var again = Attachment.FromJson(all[1].ToJson());
        Assert.Equal("YWJj", again.Data.Base64);
        Assert.Equal("2024-01-01T00:00:00Z", again.LastmodTime);
    }

    [Theory]
    [InlineData("{\"~attach\":{}}", "~attach", "must be an array")]
    [InlineData("{\"~attach\":[5]}", "~attach[0]", "must be an object")]
    [InlineData("{\"~attach\":[{\"@id\":\"x\"}]}", "~attach[0].data", "is required")]
    [InlineData("{\"~attach\":[{\"@id\":\"x\",\"data\":{\"base64\":7}}]}", "~attach[0].data.base64", "must be a string")]
    [InlineData("{\"~attach\":[{\"@id\":\"x\",\"data\":{\"jws\":\"abc\"}}]}", "~attach[0].data.jws", "must be an object")]
    [InlineData("{\"~attach\":[{\"@id\":\"x\",\"data\":{\"links\":[1]}}]}", "~attach[0].data.links[0]", "must be a string")]
    public void Malformed_attachments_are_rejected_with_the_path(string extra, string field, string reasonPart)
    {
        var o = JsonNode.Parse(extra)!.AsObject();
        o["@type"] = "https://didcomm.org/trust_ping/1.0/ping";
        o["@id"] = "12345678";
        var m = DidcommMessage.FromJson(o);
        var e = Assert.Throws<MalformedMessageException>(() => m.GetAttachments());
        Assert.Equal(field, e.Field);
        Assert.Contains(reasonPart, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_base64_and_non_json_attachment_content_are_rejected()
    {
        var bad = new Attachment("x", new AttachmentData { Base64 = "!!!notbase64" });
        Assert.Contains("base64", Assert.Throws<MalformedMessageException>(() => bad.GetBytes()).Message, StringComparison.Ordinal);
        var notJson = new Attachment("y", new AttachmentData { Base64 = Base64UrlEncoding.EncodeStandard("hello"u8) });
        Assert.Contains("does not hold JSON", Assert.Throws<MalformedMessageException>(() => notJson.GetJson()).Message, StringComparison.Ordinal);
    }
}
