using Microsoft.Extensions.DependencyInjection;
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

    [Fact]
    public async Task Blank_webhook_urls_and_signalr_keys_are_ignored_not_refused()
    {
        var cs = await Db.NewDatabaseAsync();
        var webhook = new Uri("http://127.0.0.1:9/hook");
        var settings = NotifierTestHost.Defaults(webhook);
        // What an empty optional AppHost parameter produces.
        settings["Notifier:Webhooks:Urls:1"] = "";
        settings["Notifier:Webhooks:Urls:2"] = "  ";
        settings["Notifier:SignalR:ApiKeys:1"] = "";
        settings["Notifier:SignalR:ApiKeys:2"] = " ";
        await using var host = await NotifierTestHost.StartAsync(cs, settings);
        var options = host.Services.GetRequiredService<IOptions<NotifierOptions>>().Value;
        Assert.Equal([webhook.ToString()], options.Webhooks.Urls);
        Assert.Equal([settings["Notifier:SignalR:ApiKeys:0"]!], options.SignalR.ApiKeys);
    }

    [Fact]
    public async Task Only_blank_entries_turn_the_channels_off()
    {
        var cs = await Db.NewDatabaseAsync();
        var settings = NotifierTestHost.Defaults();
        settings["Notifier:Webhooks:Urls:0"] = "";
        settings["Notifier:SignalR:ApiKeys:0"] = "";
        await using var host = await NotifierTestHost.StartAsync(cs, settings);
        var options = host.Services.GetRequiredService<IOptions<NotifierOptions>>().Value;
        Assert.Empty(options.Webhooks.Urls);
        Assert.Empty(options.SignalR.ApiKeys);
    }
}
