namespace Pickup.Core.Schema;

/// <summary>
/// SQL of the migrator. <c>{schema}</c> and <c>{table}</c> are replaced by quoted identifiers validated by
/// <see cref="SchemaMigrator"/> (identifiers, never values); every value is a parameter.
/// </summary>
internal static class SchemaSql
{
    public const string DatabaseExists = "SELECT 1 FROM pg_database WHERE datname = $1";

    /// <summary><c>{database}</c> is the quoted database name (CREATE DATABASE takes no parameters).</summary>
    public const string CreateDatabase = "CREATE DATABASE {database}";

    public const string AdvisoryLock = "SELECT pg_advisory_lock($1)";

    public const string AdvisoryUnlock = "SELECT pg_advisory_unlock($1)";

    public const string CreateHistory = """
        CREATE SCHEMA IF NOT EXISTS {schema};
        CREATE TABLE IF NOT EXISTS {schema}.{table} (
            version     integer     PRIMARY KEY,
            name        text        NOT NULL,
            checksum    text        NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        );
        """;

    public const string ReadHistory = "SELECT version, name, checksum FROM {schema}.{table} ORDER BY version";

    public const string InsertHistory = "INSERT INTO {schema}.{table} (version, name, checksum) VALUES ($1, $2, $3)";
}
