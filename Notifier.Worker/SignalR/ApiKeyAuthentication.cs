using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Notifier.Worker.Diagnostics;

namespace Notifier.Worker.SignalR;

/// <summary>
/// Authenticates hub clients by an API key from <c>Notifier:SignalR:ApiKeys</c>, given as header <c>X-Api-Key</c>, as
/// <c>Authorization: Bearer &lt;key&gt;</c> (the SignalR client's <c>AccessTokenProvider</c> for HTTP), or as the
/// <c>access_token</c> query parameter (the SignalR client's WebSocket/SSE handshake). Keys are compared in fixed time.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<NotifierOptions> notifierOptions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "NotifierApiKey";
    public const string Header = "X-Api-Key";

    private readonly byte[][] _keys = [.. notifierOptions.Value.SignalR.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = Request.Headers[Header];
        if (string.IsNullOrEmpty(presented))
        {
            var authorization = Request.Headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) presented = authorization[7..].Trim();
        }
        if (string.IsNullOrEmpty(presented)) presented = Request.Query["access_token"];
        if (string.IsNullOrEmpty(presented)) return Task.FromResult(AuthenticateResult.NoResult());

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var index = -1;
        for (var i = 0; i < _keys.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, _keys[i])) index = i;
        }
        if (index < 0)
        {
            NotifierLog.Refused(Logger, "unknown API key");
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, $"api-key-{index}")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
