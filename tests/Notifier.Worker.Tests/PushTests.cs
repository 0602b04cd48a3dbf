using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Notifier.Worker.Tests.Support;

namespace Notifier.Worker.Tests;

/// <summary>FCM (HTTP v1 + service-account OAuth) and APNs (HTTP/2 + ES256 provider token) against real loopback
/// servers shaped like Google's and Apple's endpoints.</summary>
public sealed class PushTests
{
    private const string ProjectId = "pickup-test-project";
    private const string AccessToken = "ya29.test-access-token";
    private const string KeyId = "ABC123DEFG";
    private const string TeamId = "TEAM123456";
    private const string Topic = "org.example.wallet";

    [Fact]
    public async Task Fcm_and_apns_requests_have_the_right_shape_and_auth_and_invalid_tokens_are_removed()
    {
        var cs = await Db.NewDatabaseAsync();
        await using var db = new Db(cs);
        await db.CreateDeviceInfoAsync();
        await using var google = await LoopbackServer.StartAsync(HttpProtocols.Http1);
        await using var apple = await LoopbackServer.StartAsync(HttpProtocols.Http2);
        await using var pickup = await PickupSide.StartAsync(cs);

        using var serviceAccountKey = RSA.Create(2048);
        using var apnsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        google.Respond = (r, _) => Task.FromResult(r.Path switch
        {
            "/token" => (200, $$"""{"access_token":"{{AccessToken}}","expires_in":3600,"token_type":"Bearer"}"""),
            var p when p.Contains("messages:send", StringComparison.Ordinal) && r.Text.Contains("fcm-unregistered", StringComparison.Ordinal) =>
                (404, """{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"""),
            var p when p.Contains("messages:send", StringComparison.Ordinal) => (200, $$"""{"name":"projects/{{ProjectId}}/messages/1"}"""),
            _ => (404, "{}"),
        });
        apple.Respond = (r, _) => Task.FromResult(r.Path.EndsWith("/apns-gone", StringComparison.Ordinal)
            ? (410, """{"reason":"Unregistered","timestamp":1700000000000}""")
            : (200, ""));

        var serviceAccount = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = ProjectId,
            ["private_key_id"] = "key-1",
            ["private_key"] = serviceAccountKey.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "notifier@pickup-test-project.iam.gserviceaccount.com",
            ["client_id"] = "1234567890",
            ["token_uri"] = "http://127.0.0.1:1/unused",
        }.ToJsonString();
        var settings = NotifierTestHost.Defaults();
        settings["Notifier:Fcm:ServiceAccountJson"] = serviceAccount;
        settings["Notifier:Fcm:BaseUrl"] = google.BaseUri.ToString();
        settings["Notifier:Fcm:TokenUri"] = new Uri(google.BaseUri, "/token").ToString();
        settings["Notifier:Apns:Key"] = apnsKey.ExportPkcs8PrivateKeyPem();
        settings["Notifier:Apns:KeyId"] = KeyId;
        settings["Notifier:Apns:TeamId"] = TeamId;
        settings["Notifier:Apns:Topic"] = Topic;
        settings["Notifier:Apns:BaseUrl"] = apple.BaseUri.ToString();
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        using var metrics = new MetricRecorder(notifier.MeterFactory);

        Guid fcmOk = Guid.NewGuid(), fcmBad = Guid.NewGuid(), apnsOk = Guid.NewGuid(), apnsBad = Guid.NewGuid();
        await db.SetDeviceAsync(fcmOk, "fcm", "fcm-good-token");
        await db.SetDeviceAsync(fcmBad, "fcm", "fcm-unregistered-token");
        await db.SetDeviceAsync(apnsOk, "apns", "apns-good");
        await db.SetDeviceAsync(apnsBad, "apns", "apns-gone");
        var added = new Dictionary<Guid, Pickup.Core.AddedMessage>();
        foreach (var c in new[] { fcmOk, fcmBad, apnsOk, apnsBad }) added[c] = await pickup.AddAsync(c.ToString());

        await Eventually.WaitAsync(async () =>
        {
            foreach (var c in added.Keys)
            {
                if (!await db.AllAsync(c.ToString(), "done")) return false;
            }
            return true;
        }, "all outbox rows done");

        // Google: the token endpoint got a JWT-bearer grant signed with the service account's key, for FCM's scope.
        var tokenRequest = Assert.Single(google.On("/token"));
        var form = System.Web.HttpUtility.ParseQueryString(tokenRequest.Text);
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", form["grant_type"]);
        var assertion = VerifyJwt(form["assertion"]!, (input, signature) =>
            serviceAccountKey.VerifyData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "RS256");
        Assert.Equal("notifier@pickup-test-project.iam.gserviceaccount.com", assertion["iss"]!.GetValue<string>());
        Assert.Contains("https://www.googleapis.com/auth/firebase.messaging", assertion["scope"]!.GetValue<string>());

        // FCM: one send per token, bearer access token, the v1 message shape.
        var sends = google.On($"/v1/projects/{ProjectId}/messages:send").ToList();
        Assert.Equal(2, sends.Count);
        Assert.All(sends, s => Assert.Equal("Bearer " + AccessToken, s.Header("authorization")));
        var good = JsonNode.Parse(Assert.Single(sends, s => s.Text.Contains("fcm-good-token", StringComparison.Ordinal)).Text)!["message"]!;
        Assert.Equal("fcm-good-token", good["token"]!.GetValue<string>());
        Assert.Equal(fcmOk.ToString(), good["data"]!["connectionId"]!.GetValue<string>());
        Assert.Equal("1", good["data"]!["count"]!.GetValue<string>());
        Assert.Equal("message.queued", good["data"]!["type"]!.GetValue<string>());
        Assert.Equal("high", good["android"]!["priority"]!.GetValue<string>());
        Assert.NotNull(good["notification"]!["title"]);

        // APNs: HTTP/2, /3/device/<token>, ES256 provider token with kid/iss/iat, topic and push type headers.
        var pushes = apple.Requests.ToList();
        Assert.Equal(2, pushes.Count);
        Assert.All(pushes, p => Assert.Equal("HTTP/2", p.Protocol));
        var push = Assert.Single(pushes, p => p.Path == "/3/device/apns-good");
        Assert.Equal(Topic, push.Header("apns-topic"));
        Assert.Equal("alert", push.Header("apns-push-type"));
        Assert.Equal("10", push.Header("apns-priority"));
        var bearer = push.Header("authorization")!;
        Assert.StartsWith("bearer ", bearer);
        var claims = VerifyJwt(bearer["bearer ".Length..], (input, signature) =>
            apnsKey.VerifyData(input, signature, HashAlgorithmName.SHA256), "ES256", KeyId);
        Assert.Equal(TeamId, claims["iss"]!.GetValue<string>());
        Assert.InRange(claims["iat"]!.GetValue<long>(), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        var payload = JsonNode.Parse(push.Text)!;
        Assert.NotNull(payload["aps"]!["alert"]);
        Assert.Equal(apnsOk.ToString(), payload["connectionId"]!.GetValue<string>());
        Assert.Equal(1, payload["count"]!.GetValue<int>());

        // Invalid tokens are gone from the mediator's device info; valid ones stay.
        Assert.True(await db.HasDeviceAsync(fcmOk));
        Assert.True(await db.HasDeviceAsync(apnsOk));
        Assert.False(await db.HasDeviceAsync(fcmBad));
        Assert.False(await db.HasDeviceAsync(apnsBad));
        Assert.Equal(1, metrics["notifier.device_tokens.removed/fcm"]);
        Assert.Equal(1, metrics["notifier.device_tokens.removed/apns"]);
        Assert.Equal(1, metrics["notifier.notifications.sent/fcm"]);
        Assert.Equal(1, metrics["notifier.notifications.sent/apns"]);
    }

    [Fact]
    public async Task A_push_service_answering_429_is_retried()
    {
        var cs = await Db.NewDatabaseAsync();
        await using var db = new Db(cs);
        await db.CreateDeviceInfoAsync();
        await using var apple = await LoopbackServer.StartAsync(HttpProtocols.Http2);
        await using var pickup = await PickupSide.StartAsync(cs);
        using var apnsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        apple.Respond = (_, n) => Task.FromResult(n == 1 ? (429, """{"reason":"TooManyRequests"}""") : (200, ""));
        var settings = NotifierTestHost.Defaults();
        settings["Notifier:Apns:Key"] = apnsKey.ExportPkcs8PrivateKeyPem();
        settings["Notifier:Apns:KeyId"] = KeyId;
        settings["Notifier:Apns:TeamId"] = TeamId;
        settings["Notifier:Apns:Topic"] = Topic;
        settings["Notifier:Apns:PushType"] = "background";
        settings["Notifier:Apns:BaseUrl"] = apple.BaseUri.ToString();
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        var connection = Guid.NewGuid();
        await db.SetDeviceAsync(connection, "apns", "apns-busy");

        await pickup.AddAsync(connection.ToString());

        await Eventually.WaitAsync(() => db.AllAsync(connection.ToString(), "done"), "outbox row done");
        Assert.Equal(2, apple.Requests.Count);
        var last = apple.Requests.Last();
        Assert.Equal("background", last.Header("apns-push-type"));
        Assert.Equal("5", last.Header("apns-priority"));
        Assert.Equal(1, JsonNode.Parse(last.Text)!["aps"]!["content-available"]!.GetValue<int>());
        Assert.True(await db.HasDeviceAsync(connection), "a 429 is not an invalid token");
    }

    [Fact]
    public async Task A_failing_oauth_token_endpoint_is_a_failed_fcm_attempt_that_is_retried()
    {
        var cs = await Db.NewDatabaseAsync();
        await using var db = new Db(cs);
        await db.CreateDeviceInfoAsync();
        await using var google = await LoopbackServer.StartAsync(HttpProtocols.Http1);
        await using var pickup = await PickupSide.StartAsync(cs);
        using var serviceAccountKey = RSA.Create(2048);
        var tokenCalls = 0;
        google.Respond = (r, _) => Task.FromResult(r.Path == "/token"
            ? Interlocked.Increment(ref tokenCalls) == 1
                ? (400, """{"error":"invalid_grant","error_description":"Invalid JWT Signature."}""")
                : (200, $$"""{"access_token":"{{AccessToken}}","expires_in":3600,"token_type":"Bearer"}""")
            : (200, $$"""{"name":"projects/{{ProjectId}}/messages/2"}"""));
        var settings = NotifierTestHost.Defaults();
        settings["Notifier:Fcm:ServiceAccountJson"] = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = ProjectId,
            ["private_key_id"] = "key-1",
            ["private_key"] = serviceAccountKey.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "notifier@pickup-test-project.iam.gserviceaccount.com",
            ["client_id"] = "1234567890",
            ["token_uri"] = new Uri(google.BaseUri, "/token").ToString(),
        }.ToJsonString();
        settings["Notifier:Fcm:BaseUrl"] = google.BaseUri.ToString();
        await using var notifier = await NotifierTestHost.StartAsync(cs, settings);
        using var metrics = new MetricRecorder(notifier.MeterFactory);
        var connection = Guid.NewGuid();
        await db.SetDeviceAsync(connection, "fcm", "fcm-token");

        await pickup.AddAsync(connection.ToString());

        await Eventually.WaitAsync(() => db.AllAsync(connection.ToString(), "done"), "outbox row done after the retry");
        Assert.Equal(2, google.On("/token").Count());
        Assert.Single(google.On($"/v1/projects/{ProjectId}/messages:send"));
        Assert.Equal(1, metrics["notifier.notifications.failed/fcm"]);
        Assert.Equal(1, metrics["notifier.notifications.sent/fcm"]);
        Assert.Equal(2, Assert.Single(await db.OutboxAsync(connection.ToString())).Attempts);
        Assert.True(await db.HasDeviceAsync(connection), "an OAuth failure says nothing about the device token");
    }

    /// <summary>Checks a compact JWS (alg, optional kid, signature) and returns its claims.</summary>
    private static JsonNode VerifyJwt(string jwt, Func<byte[], byte[], bool> verify, string alg, string? kid = null)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        var header = JsonNode.Parse(FromBase64Url(parts[0]))!;
        Assert.Equal(alg, header["alg"]!.GetValue<string>());
        if (kid is not null) Assert.Equal(kid, header["kid"]!.GetValue<string>());
        Assert.True(verify(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), FromBase64Url(parts[2])), $"{alg} signature does not verify");
        return JsonNode.Parse(FromBase64Url(parts[1]))!;
    }

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
