using Microsoft.Extensions.Logging;

namespace Mediator.Api.State;

internal static partial class MediatorStateLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Mediator state schema is up to date")]
    public static partial void SchemaReady(ILogger logger);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Mediator identity {Did} (verkey {Verkey}, {Source})")]
    public static partial void IdentityLoaded(ILogger logger, string did, string verkey, MediatorKeySource source);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Generated and stored the mediator key {Verkey}")]
    public static partial void IdentityGenerated(ILogger logger, string verkey);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "The mediator key comes from configuration (a {Form} seed)")]
    public static partial void ConfiguredSeedForm(ILogger logger, string form);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "The configured mediator key {ConfiguredVerkey} differs from the key stored earlier ({StoredVerkey}); connections made with the stored key will not be recognised")]
    public static partial void ConfiguredKeyDiffersFromStored(ILogger logger, string configuredVerkey, string storedVerkey);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information,
        Message = "Keylist listener is listening (backend {ProcessId}, connect #{Connects}); keylist cache dropped and enabled")]
    public static partial void ListenerListening(ILogger logger, int processId, long connects);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Error,
        Message = "Keylist listener failed (attempt {Attempt}); the keylist cache is bypassed until it reconnects in {Delay}")]
    public static partial void ListenerFailed(ILogger logger, Exception exception, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "Keylist notification on unexpected channel {Channel} ignored")]
    public static partial void UnexpectedChannel(ILogger logger, string channel);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Information, Message = "Keylist listener stopped")]
    public static partial void ListenerStopped(ILogger logger);
}
