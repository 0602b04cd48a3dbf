namespace Pickup.Core.Schema;

/// <summary>
/// The database or schema could not be brought to the expected version: the database is missing and cannot be created,
/// a migration failed, the migration list is invalid, or an applied migration was changed after it ran.
/// </summary>
public sealed class SchemaMigrationException : Exception
{
    public SchemaMigrationException(string message) : base(message)
    {
    }

    public SchemaMigrationException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
