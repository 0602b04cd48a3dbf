using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pickup.Core.Schema;

/// <summary>
/// Creates the database a connection string (or data source) names when it does not exist yet, by connecting to the
/// <see cref="MaintenanceDatabase"/> with the same credentials. Safe to call from several processes at once.
/// </summary>
public static class DatabaseBootstrapper
{
    /// <summary>The database connected to in order to create a missing one.</summary>
    public const string MaintenanceDatabase = "postgres";

    /// <inheritdoc cref="EnsureDatabaseExistsAsync(NpgsqlDataSource, ILogger, CancellationToken)"/>
    public static async Task EnsureDatabaseExistsAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await EnsureCoreAsync(connection, logger, cancellationToken);
    }

    /// <summary>
    /// Ensures the database named by <paramref name="dataSource"/>'s connection string exists, creating it when missing.
    /// </summary>
    /// <exception cref="SchemaMigrationException">The connection string names no database, or the database is missing and
    /// cannot be created (maintenance database unreachable, or the role lacks CREATEDB).</exception>
    public static async Task EnsureDatabaseExistsAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = dataSource.CreateConnection();
        await EnsureCoreAsync(connection, logger, cancellationToken);
    }

    private static async Task EnsureCoreAsync(NpgsqlConnection target, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var database = new NpgsqlConnectionStringBuilder(target.ConnectionString).Database;
        if (string.IsNullOrWhiteSpace(database))
        {
            throw new SchemaMigrationException(
                "The connection string names no database (set 'Database=...'); refusing to guess one.");
        }

        try
        {
            await target.OpenAsync(cancellationToken);
            return;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // Missing: create it below.
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new SchemaMigrationException($"Could not connect to database '{database}': {e.Message}", e);
        }

        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            Database = MaintenanceDatabase,
            Pooling = false,
        };
        // CloneWith keeps the password and TLS callbacks that the user-facing connection string no longer shows.
        await using var admin = target.CloneWith(maintenance.ConnectionString);
        try
        {
            await admin.OpenAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new SchemaMigrationException(
                $"Database '{database}' does not exist, and the maintenance database '{MaintenanceDatabase}' could not be " +
                $"reached with the same credentials to create it: {e.Message}", e);
        }

        await using (var exists = new NpgsqlCommand(SchemaSql.DatabaseExists, admin))
        {
            exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database });
            if (await exists.ExecuteScalarAsync(cancellationToken) is not null) return;
        }

        var sql = SchemaSql.CreateDatabase.Replace("{database}", QuoteIdentifier(database), StringComparison.Ordinal);
        await using var create = new NpgsqlCommand(sql, admin);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
            SchemaLog.DatabaseCreated(logger, database);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            SchemaLog.DatabaseCreatedConcurrently(logger, database);
        }
        catch (PostgresException e)
        {
            throw new SchemaMigrationException(
                $"Database '{database}' does not exist and could not be created as role '{maintenance.Username}' " +
                $"({e.SqlState}: {e.MessageText}). Create it, or grant the role CREATEDB.", e);
        }
    }

    /// <summary>Quotes a PostgreSQL identifier (doubles embedded quotes).</summary>
    internal static string QuoteIdentifier(string identifier) =>
        "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
