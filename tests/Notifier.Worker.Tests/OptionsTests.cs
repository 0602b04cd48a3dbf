using Microsoft.Extensions.Options;
using Notifier.Worker.Tests.Support;

namespace Notifier.Worker.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("Notifier:Webhooks:SigningSecret", "", "SigningSecret")]
    [InlineData("Notifier:Webhooks:Urls:0", "ftp://example.invalid/x", "not an absolute http(s) URL")]
    [InlineData("Notifier:Relay:MaxAttempts", "0", "MaxAttempts")]
    [InlineData("Notifier:Apns:Key", "not a key", "Apns")]
    [InlineData("Notifier:Fcm:ServiceAccountJson", "{\"type\":\"authorized_user\"}", "service account")]
    [InlineData("Notifier:SignalR:ApiKeys:0", "short", "ApiKeys")]
    public async Task Invalid_options_fail_the_start_with_a_clear_message(string key, string value, string expected)
    {
        var cs = await Db.NewDatabaseAsync();
        var settings = NotifierTestHost.Defaults(new Uri("http://127.0.0.1:9/hook"));
        settings[key] = value;
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => NotifierTestHost.StartAsync(cs, settings));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
