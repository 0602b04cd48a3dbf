using Microsoft.Extensions.Logging;

namespace Pickup.Core.Schema;

internal static partial class SchemaLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Created database {Database}")]
    public static partial void DatabaseCreated(ILogger logger, string database);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Database {Database} was created concurrently by another starter")]
    public static partial void DatabaseCreatedConcurrently(ILogger logger, string database);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Applying migration {Component} {Version} {Name}")]
    public static partial void Applying(ILogger logger, string component, int version, string name);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Schema of {Component} is at version {Version} ({Applied} migrations applied now)")]
    public static partial void UpToDate(ILogger logger, string component, int version, int applied);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Schema of {Component} has version {Version}, newer than this build knows ({Known}); continuing")]
    public static partial void NewerThanKnown(ILogger logger, string component, int version, int known);
}
