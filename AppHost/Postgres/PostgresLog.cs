using Microsoft.Extensions.Logging;

namespace PickupAspire.AppHost.Postgres;

internal static partial class PostgresLog
{
    public const string Category = "PickupAspire.AppHost.Postgres";

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL mode: {Mode} (configured: {Configured})")]
    public static partial void ModeChosen(ILogger logger, PostgresMode mode, string configured);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Postgres:Mode is container but no container runtime answered 'info': " +
        "the postgres container cannot start and everything waiting for it waits. Use Postgres:Mode=local or auto.")]
    public static partial void NoContainerRuntime(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local PostgreSQL from {Bin} in {RunDirectory} ({Durability})")]
    public static partial void LocalServer(ILogger logger, string bin, string runDirectory, string durability);
}
